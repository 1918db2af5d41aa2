#!/usr/bin/env bats
# train: learns on a small sample, is deterministic under a seed, writes models
# atomically, resumes, and rejects bad input with one clear line.

load test_helper

setup_file() {
    export TRAIN_TS="$BATS_FILE_TMPDIR/train.ts" VAL_TS="$BATS_FILE_TMPDIR/val.ts"
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -801 | csv2tensor > "$TRAIN_TS"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -301 | csv2tensor > "$VAL_TS"
}

@test "train: loss falls and validation accuracy beats chance by a clear margin" {
    # Adam on a plateau schedule: 800 images make 7 batches of the default
    # preset's 128, too few steps for its batch norm's running statistics
    run --separate-stderr train -a "$SAMPLES/small.arch" -e 4 -j 2 --val "$VAL_TS" \
        --optimizer adam --lr 0.001 --batch 64 --schedule plateau --smoothing 0 --augment none \
        --log "$BATS_TEST_TMPDIR/log.csv" -o "$BATS_TEST_TMPDIR/m.bin" "$TRAIN_TS"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ -s "$BATS_TEST_TMPDIR/m.bin" ]
    [ ! -e "$BATS_TEST_TMPDIR/m.bin.ckpt" ]   # finished runs leave no checkpoint
    # epoch,lr,loss,acc,val_loss,val_acc,...: loss falls from epoch 1 to 4, val accuracy > 0.6 (chance 0.1)
    run awk -F, 'NR==2{l1=$3} NR==5{l4=$3; va=$6} END{exit !(l4 < l1 && va > 0.6)}' "$BATS_TEST_TMPDIR/log.csv"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"epoch 4/4: loss "* ]]
}

@test "train: the same seed and thread count give the same model" {
    for i in 1 2; do
        train -q -a "$SAMPLES/small.arch" -e 1 -j 2 -s 5 -o "$BATS_TEST_TMPDIR/m$i.bin" "$TRAIN_TS"
        predict "$BATS_TEST_TMPDIR/m$i.bin" "$VAL_TS" > "$BATS_TEST_TMPDIR/p$i.ts"
    done
    cmp "$BATS_TEST_TMPDIR/p1.ts" "$BATS_TEST_TMPDIR/p2.ts"
    train -q -a "$SAMPLES/small.arch" -e 1 -j 2 -s 6 -o "$BATS_TEST_TMPDIR/m3.bin" "$TRAIN_TS"
    predict "$BATS_TEST_TMPDIR/m3.bin" "$VAL_TS" > "$BATS_TEST_TMPDIR/p3.ts"
    ! cmp -s "$BATS_TEST_TMPDIR/p1.ts" "$BATS_TEST_TMPDIR/p3.ts" || false
}

@test "train: --resume from an epoch's checkpoint gives the uninterrupted result" {
    # a schedule that does not depend on --epochs (one-cycle's does, so a run
    # resumed with more epochs is another run; reliability.bats resumes one-cycle)
    opts=(-q -a "$SAMPLES/small.arch" -j 1 -s 2 --schedule plateau --augment shift=2,flip,erase --val "$VAL_TS")
    train "${opts[@]}" -e 3 -o "$BATS_TEST_TMPDIR/full.bin" "$TRAIN_TS"
    train "${opts[@]}" -e 2 --keep-checkpoint --checkpoint "$BATS_TEST_TMPDIR/c.ckpt" -o "$BATS_TEST_TMPDIR/part.bin" "$TRAIN_TS"
    [ -s "$BATS_TEST_TMPDIR/c.ckpt" ]
    run --separate-stderr train "${opts[@]}" -e 3 --resume --checkpoint "$BATS_TEST_TMPDIR/c.ckpt" -o "$BATS_TEST_TMPDIR/resumed.bin" "$TRAIN_TS"
    [ "$status" -eq 0 ]
    predict "$BATS_TEST_TMPDIR/full.bin" "$VAL_TS" > "$BATS_TEST_TMPDIR/a.ts"
    predict "$BATS_TEST_TMPDIR/resumed.bin" "$VAL_TS" > "$BATS_TEST_TMPDIR/b.ts"
    cmp "$BATS_TEST_TMPDIR/a.ts" "$BATS_TEST_TMPDIR/b.ts"
    # the resumed run did train the third epoch (the model kept is the best epoch's, which
    # may be the second: the predictions alone cannot tell)
    [ "$(predict --summary "$BATS_TEST_TMPDIR/resumed.bin" | grep '^epochs_run=')" = "epochs_run=3" ]
    [ ! -e "$BATS_TEST_TMPDIR/c.ckpt" ]   # finished: the checkpoint is gone
}

@test "train --summary prints the study network like Keras: 528,282 parameters" {
    run train --summary -a "$SAMPLES/study.arch"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Total params: 528282"* ]]
    [[ "$output" == *"Trainable params: 527994"* ]]
    [[ "$output" == *"Non-trainable params: 288"* ]]
    [[ "$output" == *"dense                        (128)                    401536"* ]]
}

@test "train: usage errors exit 2 and write nothing to stdout" {
    run --separate-stderr train "$TRAIN_TS"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "train: missing -o MODEL" ]
    run --separate-stderr train --lr abc -o x.bin
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "train: --lr: not a number: 'abc'" ]
    run --separate-stderr train --schedule wavy -o x.bin
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "train: --schedule: expected plateau, cosine, onecycle or constant, got 'wavy'" ]
    run --separate-stderr train --bogus -o x.bin
    [ "$status" -eq 2 ]
    [ "$stderr" = "train: unrecognized option '--bogus'"$'\n'"Try 'train --help' for more information." ]
    run train --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:* ]]
}

@test "train: the built-in architectures are the files in samples/, found from any directory" {
    cd "$BATS_TEST_TMPDIR"   # no samples/ here: an installed train has none either
    for f in "$SAMPLES"/*.arch; do
        name=$(basename "$f" .arch)
        diff <(train --summary -a "$name") <(train --summary -a "$f")
    done
    # with no -a, the default preset's network
    diff <(train --summary) <(train --summary -a "$SAMPLES/default.arch")
    run --separate-stderr train --summary -a nosuch
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: nosuch: no such built-in architecture (built in: default, narrow, small, study, wide; a file path needs a '/' or an extension)" ]
    run --separate-stderr train --summary -a nosuch.arch
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: nosuch.arch: cannot open architecture: No such file or directory" ]
}

@test "train --preset: sets network and recipe; options given as well win, in any order" {
    run train --summary --preset study
    [[ "$output" == *"Total params: 528282"* ]]
    diff <(train --summary -a small --preset study) <(train --summary --preset study -a small)
    # what the model file records: the study's recipe, with the network and epochs overridden
    train -q -a small --preset study -e 1 -j 1 -o "$BATS_TEST_TMPDIR/s.bin" "$TRAIN_TS"
    run predict --summary "$BATS_TEST_TMPDIR/s.bin"
    for kv in preset=study arch_file=small epochs=1 normalise=unit optimizer=adam lr=0.001 batch=64 \
              schedule=plateau early_stop=4 augment=none smoothing=0 weight_decay=0; do
        grep -qx "$kv" <<< "$output" || { echo "missing $kv"; return 1; }
    done
    # and with no preset, the default's
    train -q -a small -e 1 -j 1 -o "$BATS_TEST_TMPDIR/d.bin" "$TRAIN_TS"
    run predict --summary "$BATS_TEST_TMPDIR/d.bin"
    for kv in preset=default normalise=standard optimizer=adamw lr=0.002 weight_decay=0.02 batch=128 \
              schedule=onecycle early_stop=0 augment=shift=1,flip smoothing=0.1; do
        grep -qx "$kv" <<< "$output" || { echo "missing $kv"; return 1; }
    done
    # each preset in --help with the options it stands for
    run train --help
    [[ "$output" == *"  study    the Keras study's network and recipe:"* ]]
    [[ "$output" == *"-a study --normalise unit --epochs 30 --batch 64 --lr 0.001"* ]]
    run --separate-stderr train --preset fast -o x.bin
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "train: --preset: expected default, long or study, got 'fast'" ]
}

@test "train: unlabelled data, a wrong shape, a bad architecture are clear errors and leave no model" {
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -20 | cut -d, -f2- | csv2tensor > "$BATS_TEST_TMPDIR/nolab.ts"
    run --separate-stderr train -a "$SAMPLES/small.arch" -o "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/nolab.ts"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $BATS_TEST_TMPDIR/nolab.ts: record 1: no label (train needs labelled data)" ]
    printf '1,2,3,4\n' | csv2tensor --shape 2x2x1 > "$BATS_TEST_TMPDIR/small.ts"
    run --separate-stderr train -a "$SAMPLES/small.arch" -o "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/small.ts"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $BATS_TEST_TMPDIR/small.ts: records are 2x2x1 u8, the network takes 28x28x1 images" ]
    printf 'input 28 28 1\nconv 8 k=99\nsoftmax\n' > "$BATS_TEST_TMPDIR/bad.arch"
    run --separate-stderr train -a "$BATS_TEST_TMPDIR/bad.arch" -o "$BATS_TEST_TMPDIR/m.bin" "$TRAIN_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $BATS_TEST_TMPDIR/bad.arch: line 2: conv: bad kernel size 'k=99'" ]
    [ ! -e "$BATS_TEST_TMPDIR/m.bin" ]
    run ls "$BATS_TEST_TMPDIR"
    [[ "$output" != *tmp* ]]
}

@test "train --resume: refuses other options, data or network than the checkpoint's; says when there is none" {
    ck="$BATS_TEST_TMPDIR/c.ckpt"
    opts=(-q -a "$SAMPLES/small.arch" -j 1 --val "$VAL_TS" --checkpoint "$ck")
    train "${opts[@]}" -e 1 --keep-checkpoint -o "$BATS_TEST_TMPDIR/a.bin" "$TRAIN_TS"
    run --separate-stderr train "${opts[@]}" -e 2 --resume --optimizer sgd -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $ck: the checkpoint was made with optimizer=adamw, not sgd; resume with the same options (only --epochs may change)" ]
    run --separate-stderr train "${opts[@]}" -e 2 --resume --augment none -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$stderr" = "train: $ck: the checkpoint was made with augment=shift=1,flip, not none; resume with the same options (only --epochs may change)" ]
    split --head 100 "$TRAIN_TS" > "$BATS_TEST_TMPDIR/less.ts"
    run --separate-stderr train "${opts[@]}" -e 2 --resume -o "$BATS_TEST_TMPDIR/b.bin" "$BATS_TEST_TMPDIR/less.ts"
    [ "$stderr" = "train: $ck: the checkpoint was made on 800 training images, not 100; resume with the same data" ]
    # as many images, but others; or another validation set
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | sed -n '1p;802,1601p' | csv2tensor >"$BATS_TEST_TMPDIR/other.ts"
    run --separate-stderr train "${opts[@]}" -e 2 --resume -o "$BATS_TEST_TMPDIR/b.bin" "$BATS_TEST_TMPDIR/other.ts"
    [[ "$stderr" == "train: $ck: the checkpoint was made on other training data (train_crc32 "*", this data "*"); resume with the same data" ]]
    split --head 200 "$VAL_TS" >"$BATS_TEST_TMPDIR/val2.ts"
    run --separate-stderr train "${opts[@]}" -e 2 --resume --val "$BATS_TEST_TMPDIR/val2.ts" -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [[ "$stderr" == "train: $ck: the checkpoint was made on other validation data (val_crc32 "*", this data "*"); resume with the same data" ]]
    run --separate-stderr train "${opts[@]}" -e 2 --resume -a study -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$stderr" = "train: $ck: the checkpoint's network is not the one -a study describes; resume with the same options" ]
    run --separate-stderr train "${opts[@]}" -e 2 --resume --checkpoint - -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "train: --checkpoint: give a file name (a checkpoint is read back by --resume)" ]
    [ ! -e "$BATS_TEST_TMPDIR/b.bin" ]
    # the same options, more epochs, the augmentation spelt another way: continues, and the
    # finished run removes the checkpoint
    train "${opts[@]}" -e 2 --resume --augment flip,shift=1 -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ -s "$BATS_TEST_TMPDIR/b.bin" ]
    run --separate-stderr train "${opts[@]}" -e 3 --resume -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $ck: no checkpoint to resume from (a finished run removes it unless --keep-checkpoint)" ]
}

@test "train: an output it cannot write is reported before training, not after an epoch" {
    run --separate-stderr train -a "$SAMPLES/small.arch" -j 1 -e 1 -o "$BATS_TEST_TMPDIR/no/such/m.bin" "$TRAIN_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "train: $BATS_TEST_TMPDIR/no/such/m.bin: cannot write there: $BATS_TEST_TMPDIR/no/such: No such file or directory" ]
    run --separate-stderr train -a "$SAMPLES/small.arch" -o - "$TRAIN_TS"
    [ "$status" -eq 2 ]
    [ "${stderr_lines[0]}" = "train: -o: the model needs a file name (its checkpoint is written beside it)" ]
}

@test "train --log -: the per-epoch CSV on stdout" {
    cd "$BATS_TEST_TMPDIR"
    run --separate-stderr train -q -a "$SAMPLES/small.arch" -j 1 -e 2 --log - -o m.bin "$TRAIN_TS"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "epoch,lr,loss,acc,val_loss,val_acc,seconds,images_per_s" ]
    [ "${#lines[@]}" -eq 3 ]
    [ ! -e "$BATS_TEST_TMPDIR/-" ]
}

@test "train --resume: an edited comment in the .arch file is not another network; a changed layer is" {
    ck="$BATS_TEST_TMPDIR/c.ckpt" arch="$BATS_TEST_TMPDIR/net.arch"
    cp "$SAMPLES/small.arch" "$arch"
    opts=(-q -a "$arch" -j 1 --val "$VAL_TS" --checkpoint "$ck")
    train "${opts[@]}" -e 1 --keep-checkpoint -o "$BATS_TEST_TMPDIR/a.bin" "$TRAIN_TS"
    { echo '# a new first comment'; sed 's/^\([a-z]\)/  \1/; s/$/   # and one on every line/' "$SAMPLES/small.arch"; echo; } >"$arch"
    run --separate-stderr train "${opts[@]}" -e 2 --keep-checkpoint -o "$BATS_TEST_TMPDIR/b.bin" --resume "$TRAIN_TS"
    [ "$status" -eq 0 ]
    sed 's/^dense 10$/dense 11/; s/^conv \([0-9]*\)$/conv \1 k=5/' "$SAMPLES/small.arch" >"$arch"
    ! cmp -s "$arch" "$SAMPLES/small.arch" || false
    run --separate-stderr train "${opts[@]}" -e 3 -o "$BATS_TEST_TMPDIR/b.bin" --resume "$TRAIN_TS"
    [ "$stderr" = "train: $ck: the checkpoint's network is not the one -a $arch describes; resume with the same options" ]
}

@test "train --resume: an early-stopped run stays stopped; --epochs may not shrink; needs a checkpoint name" {
    ck="$BATS_TEST_TMPDIR/es.ckpt"
    opts=(-q -a "$SAMPLES/small.arch" -j 1 -s 3 --val "$VAL_TS" --schedule plateau --early-stop 1 -e 12 --checkpoint "$ck")
    train "${opts[@]}" --keep-checkpoint -o "$BATS_TEST_TMPDIR/a.bin" "$TRAIN_TS"
    [ "$(predict --summary "$BATS_TEST_TMPDIR/a.bin" | grep '^epochs_run=')" = "epochs_run=5" ] # stopped early
    run --separate-stderr -0 train "${opts[@]}" --resume -o "$BATS_TEST_TMPDIR/b.bin" "$TRAIN_TS"
    [ "$(predict --summary "$BATS_TEST_TMPDIR/b.bin" | grep '^epochs_run=')" = "epochs_run=5" ]
    cmp <(predict "$BATS_TEST_TMPDIR/a.bin" "$VAL_TS") <(predict "$BATS_TEST_TMPDIR/b.bin" "$VAL_TS")
    ck3="$BATS_TEST_TMPDIR/r3.ckpt"
    train -q -a "$SAMPLES/small.arch" -j 1 -e 2 --keep-checkpoint --checkpoint "$ck3" -o "$BATS_TEST_TMPDIR/c.bin" "$TRAIN_TS"
    run --separate-stderr -1 train -q -a "$SAMPLES/small.arch" -j 1 -e 1 --resume --checkpoint "$ck3" -o "$BATS_TEST_TMPDIR/d.bin" "$TRAIN_TS"
    [ "$stderr" = "train: $ck3: the checkpoint has run 2 epochs; --epochs 1 is fewer (it may only grow)" ]
    [ -f "$ck3" ] && [ ! -e "$BATS_TEST_TMPDIR/d.bin" ] || false
    run --separate-stderr -2 train --summary --resume
    [ "${stderr_lines[0]}" = "train: --resume needs -o MODEL (its checkpoint is MODEL.ckpt) or --checkpoint FILE" ]
}

@test "train: stdin for both data sets, a stream with more classes than outputs, bad --augment specs" {
    run --separate-stderr -2 train -q -a "$SAMPLES/small.arch" --val - -o "$BATS_TEST_TMPDIR/m.bin" <"$TRAIN_TS"
    [ "${stderr_lines[0]}" = "train: --val - and the training data cannot both be stdin" ]
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -21 | csv2tensor -k 12 >"$BATS_TEST_TMPDIR/k12.ts"
    run --separate-stderr -1 train -q -a "$SAMPLES/small.arch" -e 1 -o "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/k12.ts"
    [ "$stderr" = "train: $BATS_TEST_TMPDIR/k12.ts: the stream has 12 classes, the network 10 outputs" ]
    for spec in erase=nan shift= erase= shift=1,shift=2 flip,flip erase=2 shift=x; do
        run --separate-stderr -2 train --augment "$spec" -o "$BATS_TEST_TMPDIR/m.bin" "$TRAIN_TS"
        [ "${stderr_lines[0]}" = "train: --augment: bad spec '$spec' (e.g. shift=2,flip,erase=0.5 or none)" ] || { echo "$spec"; false; }
    done
}
