#!/usr/bin/env bats
# pipelines/parallel: K jobs under GNU parallel, locally (-j) and across "hosts" through a real
# sshd on 127.0.0.1 (parallel -S), give the single run's predictions, byte for byte, and its stats.

load test_helper

PIPE="$TOP/pipelines/parallel"

setup_file() {
    command -v parallel >/dev/null || skip "GNU parallel is not installed (Debian package parallel)"
    export MODEL="$BATS_FILE_TMPDIR/m.bin" DATA="$SAMPLES/fashion-mnist_test-500.csv.gz"
    export IMG="$BATS_FILE_TMPDIR/img.ts" SINGLE="$BATS_FILE_TMPDIR/single.ts"
    gzip -dc "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -n 301 | csv2tensor |
        train -q -a "$SAMPLES/small.arch" -e 1 -j 1 -o "$MODEL"
    # the single-process run: one csv2tensor, one predict with the jobs' threads and batch
    csv2tensor "$DATA" >"$IMG"
    predict -j 1 "$MODEL" "$IMG" >"$SINGLE"
}

setup() {
    D="$BATS_TEST_TMPDIR"
    # the pipeline's temporaries go here, so that a test can see they are gone
    export TMPDIR="$D/tmp"
    mkdir "$TMPDIR"
}

teardown() { stop_sshd; }

# stats' text report without its first line (the input's name)
report_body() { tail -n +2 "$1"; }

@test "parallel: -j 2 locally: the single run's predictions byte for byte, its stats and its confmat" {
    run -0 --separate-stderr "$PIPE" -j 2 -o "$D/pred.ts" --stats "$D/stats.txt" --stats-json "$D/stats.json" \
        "$MODEL" "$DATA"
    [ -z "$output" ]
    [ -z "$stderr" ]
    cmp "$D/pred.ts" "$SINGLE"
    stats "$IMG" >"$D/one.txt"
    diff <(report_body "$D/one.txt") <(report_body "$D/stats.txt")
    [ "$(head -n 1 "$D/stats.txt")" = "input         2 reports merged" ]
    diff <(stats --csv "$IMG") <(stats --merge --csv "$D/stats.json")
    diff <(confmat "$SINGLE") <(confmat "$D/pred.ts")
    # no temporaries left
    [ -z "$(ls -A "$TMPDIR")" ]
}

@test "parallel: chunks are whole batches; -b and -t as in the single run; stdout by default" {
    # 500 rows, -b 64: 8 batches over 3 jobs = 3 + 3 + 2 batches (192, 192, 116 rows)
    "$PIPE" -j 3 -b 64 "$MODEL" "$DATA" >"$D/pred.ts"
    predict -j 1 -b 64 "$MODEL" "$IMG" | cmp - "$D/pred.ts"
    # another batch size: the same classes, probabilities within 1e-6
    paste -d, <(tensor2csv --raw --no-header --id "$D/pred.ts") <(tensor2csv --raw --no-header --id "$SINGLE") >"$D/both.csv"
    run -0 awk -F, '{ if ($1 != $13 || $2 != $14) bad++
        for (i = 3; i <= 12; i++) { d = $i - $(i + 12); if (d < 0) d = -d; if (d > 1e-6) far++ } }
        END { print NR, bad + 0, far + 0 }' "$D/both.csv"
    [ "$output" = "500 0 0" ]
    diff <(confmat "$SINGLE") <(confmat "$D/pred.ts")
    # more jobs than batches: the empty chunks are not run
    "$PIPE" -j 9 -b 256 -o "$D/p9.ts" "$MODEL" "$DATA"
    cmp "$D/p9.ts" "$SINGLE"
}

@test "parallel: a failed job fails the run: nothing written, temporaries removed" {
    head -c 1000 "$MODEL" >"$D/cut.bin"
    run -1 --separate-stderr "$PIPE" -j 2 -o "$D/pred.ts" --stats "$D/s.txt" "$D/cut.bin" "$DATA"
    [[ "$stderr" == *"predict: cut.bin: damaged model file"* ]]
    [ "${stderr##*$'\n'}" = "parallel: a job failed (its message is above); nothing written" ]
    [ ! -e "$D/pred.ts" ]
    [ ! -e "$D/s.txt" ]
    [ -z "$(ls -A "$TMPDIR")" ]
    # an old output stays as it was
    echo old >"$D/pred.ts"
    run -1 "$PIPE" -j 2 -o "$D/pred.ts" "$D/cut.bin" "$DATA"
    [ "$(cat "$D/pred.ts")" = old ]
}

@test "parallel: usage errors exit 2, bad inputs 1, with one clear line" {
    run -2 --separate-stderr "$PIPE" "$MODEL"
    [ "${stderr%%$'\n'*}" = "parallel: need MODEL and DATA (got 1 arguments)" ]
    [ -z "$output" ]
    run -2 --separate-stderr "$PIPE" -j 0 "$MODEL" "$DATA"
    [ "${stderr%%$'\n'*}" = "parallel: -j: expected a positive integer, got '0'" ]
    run -2 --separate-stderr "$PIPE" -S :,host2 "$MODEL" "$DATA"
    [ "${stderr%%$'\n'*}" = "parallel: ':' (this machine) cannot be one of the -S hosts: run local jobs without -S" ]
    run -2 --separate-stderr "$PIPE" --bogus "$MODEL" "$DATA"
    [ "${stderr%%$'\n'*}" = "parallel: unknown option --bogus" ]
    run -1 --separate-stderr "$PIPE" "$MODEL" "$IMG"
    [ "$stderr" = "parallel: $IMG is a tensor stream: this pipeline takes CSV (cut a stored stream with split --shard; see docs/parallel.md)" ]
    run -1 --separate-stderr "$PIPE" "$MODEL" "$D/none.csv"
    [ "$stderr" = "parallel: cannot read $D/none.csv" ]
    # stdout a terminal (script(1), util-linux): refused before any work
    run -1 script -qec "'$PIPE' '$MODEL' '$DATA'" /dev/null
    [[ "$output" == "parallel: <stdout>: is a terminal; a tensor stream is binary: give -o FILE, or redirect or pipe stdout"* ]]
    run -0 "$PIPE" --help
    [ "${lines[0]}" = "Usage: pipelines/parallel [OPTION]... MODEL DATA" ]
    [ -z "$(ls -A "$TMPDIR")" ]
}

# ---- across hosts: a real sshd on 127.0.0.1 ----------------------------------

@test "parallel: -S across two hosts through ssh: the single run's results; the hosts' work directories removed" {
    start_sshd "$D"
    ls -d ~/.fm-parallel.* 2>/dev/null >"$D/before" || true
    run -0 --separate-stderr "$PIPE" -S "$LOGIN1,$LOGIN2" -o "$D/pred.ts" --stats "$D/stats.txt" "$MODEL" "$DATA"
    [ -z "$stderr" ]
    cmp "$D/pred.ts" "$SINGLE"
    stats "$IMG" >"$D/one.txt"
    diff <(report_body "$D/one.txt") <(report_body "$D/stats.txt")
    diff <(confmat "$SINGLE") <(confmat "$D/pred.ts")
    # the jobs went through sshd
    [ "$(grep -c 'Accepted publickey' "$D/ssh/sshd.log")" -ge 2 ]
    # the hosts' work directories (where the model and chunks were sent) are gone, and ours too
    ls -d ~/.fm-parallel.* 2>/dev/null >"$D/after" || true
    diff "$D/before" "$D/after"
    [ -z "$(ls -A "$TMPDIR")" ]
}

@test "parallel: --sshloginfile with N/host (N jobs at once there); a failed remote job fails the run" {
    start_sshd "$D"
    printf '# the hosts\n2/%s\n\n' "$LOGIN1" >"$D/hosts"
    "$PIPE" --sshloginfile "$D/hosts" -j 3 -b 100 "$MODEL" "$DATA" >"$D/pred.ts"
    predict -j 1 -b 100 "$MODEL" "$IMG" | cmp - "$D/pred.ts"
    # the filters are not where --remote-bin says
    ls -d ~/.fm-parallel.* 2>/dev/null >"$D/before" || true
    run -1 --separate-stderr "$PIPE" -S "$LOGIN1" --remote-bin /nonexistent -o "$D/p3.ts" "$MODEL" "$DATA"
    [ "${stderr##*$'\n'}" = "parallel: a job failed (its message is above); nothing written" ]
    [ ! -e "$D/p3.ts" ]
    # the host's work directory, with the model in it, is removed after the failure too
    ls -d ~/.fm-parallel.* 2>/dev/null >"$D/after" || true
    diff "$D/before" "$D/after"
    [ -z "$(ls -A "$TMPDIR")" ]
}
