#!/usr/bin/env bats
# train under mpirun (make MPI=1, docs/mpi.md): processes split each batch as
# threads do, so 2 processes x 1 thread train the model of 1 process x 2
# threads byte for byte; runs repeat; Ctrl-C and a killed process leave a
# checkpoint that --resume continues to the uninterrupted model.
# The MPI build is FM_MPI_BIN/train (make check builds it when mpicc exists).

load test_helper

setup_file() {
    command -v mpirun >/dev/null || skip "mpirun is not installed (apt-get install openmpi-bin)"
    command -v mpicc >/dev/null || skip "mpicc is not installed (apt-get install libopenmpi-dev)"
    export MPI_TRAIN="${FM_MPI_BIN:-$TOP/build/mpi/bin}/train"
    export TRAIN_TS="$BATS_FILE_TMPDIR/train.ts" VAL_TS="$BATS_FILE_TMPDIR/val.ts" BIG_TS="$BATS_FILE_TMPDIR/big.ts"
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -801 | csv2tensor > "$TRAIN_TS"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -301 | csv2tensor > "$VAL_TS"
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" > "$BIG_TS"
}

setup() {
    [ -x "$MPI_TRAIN" ] || { echo "no MPI build at $MPI_TRAIN: make MPI=1 BIN=build/mpi/bin build/mpi/bin/train" >&2; return 1; }
}

# mpirun N PROGRAM ARGS...: N processes on this host, as root too, ended if hung
# (--foreground: a signal to timeout goes to mpirun alone, once, as Ctrl-C would)
# Under a sanitizer build, LeakSanitizer is off for the MPI processes alone: Open MPI keeps
# allocations of its dlopen'ed components past MPI_Finalize, reported as leaks with stacks that
# cannot be told from ours. Our code's leaks are still checked: the same runs without MPI
# (train -j 2 above each comparison) keep leak checking on.
mpi() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        timeout --foreground 300 mpirun --oversubscribe --allow-run-as-root -np "$@"
}

@test "mpi: 2 processes x 1 thread train the model of 1 x 2 threads, byte for byte, and the same log" {
    # small.arch has batch norm (statistics summed across processes) and dropout (masks keyed by the
    # whole batch's element); batch 50 splits 25 + 25, and the last batch of 800 is 50 as well: 37 splits 18 + 19
    opts=(-a small -e 2 -s 4 --batch 37 --val "$VAL_TS")
    train "${opts[@]}" -q -j 2 --log "$BATS_TEST_TMPDIR/one.csv" -o "$BATS_TEST_TMPDIR/one.bin" "$TRAIN_TS"
    run --separate-stderr mpi 2 "$MPI_TRAIN" "${opts[@]}" -j 1 --log "$BATS_TEST_TMPDIR/two.csv" \
        -o "$BATS_TEST_TMPDIR/two.bin" "$TRAIN_TS"
    [ "$status" -eq 0 ]
    "$TOP/tests/tools/model_cmp" "$BATS_TEST_TMPDIR/one.bin" "$BATS_TEST_TMPDIR/two.bin"
    cmp <(predict "$BATS_TEST_TMPDIR/one.bin" "$VAL_TS") <(predict "$BATS_TEST_TMPDIR/two.bin" "$VAL_TS")
    # epoch, lr, loss, acc, val_loss, val_acc agree; the times do not
    cmp <(cut -d, -f1-6 "$BATS_TEST_TMPDIR/one.csv") <(cut -d, -f1-6 "$BATS_TEST_TMPDIR/two.csv")
    [ "$(wc -l < "$BATS_TEST_TMPDIR/two.csv")" -eq 3 ]
    # process 0 alone reports: one line per epoch, and the bytes summed per batch
    [ "$(grep -c '^epoch 2/2: ' <<< "$stderr")" -eq 1 ]
    [[ "$stderr" == *"train: 2 processes: "*" bytes summed across them per batch"* ]]
    [[ "$stderr" == *"validation, 105930 parameters, 2 threads,"* ]]
}

@test "mpi: the same processes, threads and seed give the same model; another seed another" {
    for i in 1 2; do
        mpi 2 "$MPI_TRAIN" -q -a small -e 1 -j 2 -s 5 -o "$BATS_TEST_TMPDIR/m$i.bin" "$TRAIN_TS"
    done
    "$TOP/tests/tools/model_cmp" "$BATS_TEST_TMPDIR/m1.bin" "$BATS_TEST_TMPDIR/m2.bin"
    mpi 2 "$MPI_TRAIN" -q -a small -e 1 -j 2 -s 6 -o "$BATS_TEST_TMPDIR/m3.bin" "$TRAIN_TS"
    run ! "$TOP/tests/tools/model_cmp" "$BATS_TEST_TMPDIR/m1.bin" "$BATS_TEST_TMPDIR/m3.bin"
}

# start a 2-process run in the background, and wait for its first checkpoint. Ten epochs: on an
# idle machine an epoch of small.arch takes a fraction of a second, and three ended before the signal.
RUN_EPOCHS=10
start_run() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout --foreground 300 mpirun --oversubscribe --allow-run-as-root -np 2 "$MPI_TRAIN" -a small -e $RUN_EPOCHS -s 7 -j 1 \
        --schedule plateau -o "$BATS_TEST_TMPDIR/m.bin" "$BIG_TS" 2> "$BATS_TEST_TMPDIR/err" &
    pid=$!
    for _ in $(seq 600); do [ -e "$BATS_TEST_TMPDIR/m.bin.ckpt" ] && break; sleep 0.1; done
    [ -e "$BATS_TEST_TMPDIR/m.bin.ckpt" ]
    mpirun_pid=$(pgrep -P "$pid" -x mpirun)
}

# the run resumed to its end must be the uninterrupted one (a plateau schedule does not depend on --epochs)
resume_gives_uninterrupted() {
    run --separate-stderr mpi 2 "$MPI_TRAIN" -q -a small -e $RUN_EPOCHS -s 7 -j 1 --schedule plateau --resume \
        -o "$BATS_TEST_TMPDIR/m.bin" "$BIG_TS"
    [ "$status" -eq 0 ]
    [ ! -e "$BATS_TEST_TMPDIR/m.bin.ckpt" ]
    # one process with 2 threads, trained once for both tests that need it
    [ -e "$BATS_FILE_TMPDIR/whole.bin" ] ||
        train -q -a small -e $RUN_EPOCHS -s 7 -j 2 --schedule plateau -o "$BATS_FILE_TMPDIR/whole.bin" "$BIG_TS"
    "$TOP/tests/tools/model_cmp" "$BATS_FILE_TMPDIR/whole.bin" "$BATS_TEST_TMPDIR/m.bin"
}

@test "mpi: Ctrl-C stops every process at the same batch, process 0 writes the best model, --resume continues" {
    start_run
    kill -INT "$mpirun_pid"
    rc=0
    wait "$pid" || rc=$?   # (not `run wait`: a subshell cannot wait for this shell's job)
    [ "$rc" -ne 0 ]
    # one report, from process 0, and a model and checkpoint to go on from
    [ "$(grep -c '^train: interrupted in epoch [0-9]*: best model (epoch [0-9]*) written to .*; continue with --resume$' \
        "$BATS_TEST_TMPDIR/err")" -eq 1 ]
    [ -s "$BATS_TEST_TMPDIR/m.bin" ]
    [ -s "$BATS_TEST_TMPDIR/m.bin.ckpt" ]
    resume_gives_uninterrupted
}

@test "mpi: a killed process ends the job with mpirun's message naming it; --resume continues" {
    start_run
    kill -KILL "$(pgrep -P "$mpirun_pid" | tail -n 1)"   # one of the two processes
    rc=0
    wait "$pid" || rc=$?   # (not `run wait`: a subshell cannot wait for this shell's job)
    [ "$rc" -ne 0 ]
    grep -q 'mpirun noticed that process rank [01] with PID .* exited on signal 9 (Killed)' "$BATS_TEST_TMPDIR/err"
    [ -s "$BATS_TEST_TMPDIR/m.bin.ckpt" ]
    resume_gives_uninterrupted
}

@test "mpi: every process reads the data, so stdin is refused; the others' errors name their process" {
    run --separate-stderr mpi 2 "$MPI_TRAIN" -a small -o "$BATS_TEST_TMPDIR/m.bin" < "$TRAIN_TS"
    [ "$status" -ne 0 ]
    grep -qx 'train: under mpirun every process reads the data: give files, not stdin' <<< "$stderr"
    grep -qx 'train (process 1): under mpirun every process reads the data: give files, not stdin' <<< "$stderr"
    [ ! -e "$BATS_TEST_TMPDIR/m.bin" ]
    # --summary reads no data, and only process 0 prints it
    run --separate-stderr mpi 2 "$MPI_TRAIN" -a small --summary
    [ "$status" -eq 0 ]
    [ "$(grep -c '^Total params: 105994$' <<< "$output")" -eq 1 ]
}
