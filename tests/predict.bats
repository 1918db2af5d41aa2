#!/usr/bin/env bats
# predict: probabilities with ids and labels carried through, shape checks,
# damaged models, constant memory, closed pipes.

load test_helper

setup_file() {
    export TEST_TS="$BATS_FILE_TMPDIR/test.ts" MODEL="$BATS_FILE_TMPDIR/m.bin"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | csv2tensor > "$TEST_TS"
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -601 | csv2tensor |
        train -q -a "$SAMPLES/small.arch" -e 2 -j 2 -o "$MODEL"
    # batch norm after ReLU before a padded conv (its fold must move the padding), before a
    # max pool and a dense layer, and right after a dense layer; momentum=0 keeps the last
    # batch's statistics, so every shift is far from zero
    export BN_MODEL="$BATS_FILE_TMPDIR/bn.bin"
    printf '%s\n' 'input 28 28 1' 'conv 32' relu 'batchnorm momentum=0' 'conv 32' relu 'batchnorm momentum=0' \
        'maxpool 2' 'conv 16 pad=valid' relu 'batchnorm momentum=0' flatten 'dense 16' 'batchnorm momentum=0' relu \
        'dense 10' softmax > "$BATS_FILE_TMPDIR/bn.arch"
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -201 | csv2tensor |
        train -q -a "$BATS_FILE_TMPDIR/bn.arch" --normalise standard -b 50 -e 1 -j 2 -o "$BN_MODEL"
}

# same_predictions A B: every record's class the same, every probability within 1e-5;
# prints "records differing_classes differing_probabilities"
same_predictions() {
    paste -d, <(tensor2csv --raw --no-header "$1") <(tensor2csv --raw --no-header "$2") | awk -F, '
        { ca = cb = 2; for (i = 2; i <= 11; i++) { d = $i - $(i + 11); if (d < 0) d = -d; if (d > 1e-5) bad++
              if ($i > $ca) ca = i; if ($(i + 11) > $(cb + 11)) cb = i }
          if (ca != cb) cls++ }
        END { print NR, cls + 0, bad + 0 }'
}

@test "predict: one probability vector per record, ids and labels kept, rows sum to 1" {
    predict "$MODEL" "$TEST_TS" > "$BATS_TEST_TMPDIR/p.ts"
    run bash -c "tensor2csv --raw --no-header --id '$BATS_TEST_TMPDIR/p.ts' | awk -F, '{s=0; for(i=3;i<=NF;i++) s+=\$i; if (s<0.999||s>1.001||NF!=12) bad++} END{print NR, bad+0}'"
    [ "$output" = "500 0" ]
    # ids 0..499 in order, labels equal to the CSV's first column
    diff <(tensor2csv --raw --no-header --id "$BATS_TEST_TMPDIR/p.ts" | cut -d, -f1,2) \
         <(zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f1 | awk '{print NR-1 "," $1}')
}

@test "predict: reads stdin, and the batch size does not change the result" {
    predict "$MODEL" < "$TEST_TS" > "$BATS_TEST_TMPDIR/a.ts"
    predict -b 7 -j 1 "$MODEL" "$TEST_TS" > "$BATS_TEST_TMPDIR/b.ts"
    # different batch slicing may round differently in the last bits: compare to 1e-5
    run bash -c "paste -d, <(tensor2csv --raw --no-header '$BATS_TEST_TMPDIR/a.ts') <(tensor2csv --raw --no-header '$BATS_TEST_TMPDIR/b.ts') | awk -F, '{for(i=2;i<=11;i++){d=\$i-\$(i+11); if(d<0)d=-d; if(d>1e-5)bad++}} END{print bad+0}'"
    [ "$output" = "0" ]
    # fewer threads granted than asked (a thread limit): every record is still computed
    OMP_THREAD_LIMIT=1 predict -j 2 "$MODEL" "$TEST_TS" > "$BATS_TEST_TMPDIR/c.ts"
    run bash -c "paste -d, <(tensor2csv --raw --no-header '$BATS_TEST_TMPDIR/a.ts') <(tensor2csv --raw --no-header '$BATS_TEST_TMPDIR/c.ts') | awk -F, '{for(i=2;i<=11;i++){d=\$i-\$(i+11); if(d<0)d=-d; if(d>1e-5)bad++}} END{print bad+0}'"
    [ "$output" = "0" ]
}

# view FLIP DY DX: the first 50 test images mirrored (FLIP=1) then moved DY rows, DX columns
view() {
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -51 | awk -F, -v f="$1" -v dy="$2" -v dx="$3" '
        NR == 1 { print; next }
        { printf "%s", $1
          for (y = 0; y < 28; y++) for (x = 0; x < 28; x++) {
              sy = y - dy; sx = x - dx; v = 0
              if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) { if (f) sx = 27 - sx; v = $(2 + sy * 28 + sx) }
              printf ",%s", v }
          print "" }' | csv2tensor
}

# mean_of FILES...: the row-wise mean of prediction streams, as CSV
mean_of() {
    for f in "$@"; do tensor2csv --raw --no-header "$f"; done |
        awk -F, -v n="$#" '{ r = (NR - 1) % 50; for (i = 2; i <= NF; i++) s[r, i] += $i; nf = NF }
            END { for (r = 0; r < 50; r++) { line = ""; for (i = 2; i <= nf; i++) line = line sprintf("%.6f,", s[r, i] / n); print line } }'
}

@test "predict --tta averages the image and its mirror; --tta=flip,shift ten views" {
    d=$BATS_TEST_TMPDIR
    view 0 0 0 > "$d/v.ts"
    k=0
    for f in 0 1; do
        for s in "0 0" "-1 0" "1 0" "0 -1" "0 1"; do
            view $f $s | predict -j 1 "$MODEL" > "$d/p$k.ts"
            k=$((k + 1))
        done
    done
    predict -j 1 --tta "$MODEL" "$d/v.ts" > "$d/flip.ts"
    predict -j 1 --tta=flip,shift "$MODEL" "$d/v.ts" > "$d/all.ts"
    # within 1e-5 of the mean over the views, computed from separate runs
    close() { paste -d, <(mean_of "$1") <(mean_of "${@:2}") |
        awk -F, '{ for (i = 1; i <= 10; i++) { d = $i - $(i + 11); if (d < 0) d = -d; if (d > 1e-5) bad++ } } END { print NR, bad + 0 }'; }
    run close "$d/flip.ts" "$d/p0.ts" "$d/p5.ts"
    [ "$output" = "50 0" ]
    run close "$d/all.ts" "$d"/p[0-9].ts
    [ "$output" = "50 0" ]
    # and the views differ, so the averages above are not trivially equal
    run cmp -s "$d/flip.ts" "$d/all.ts"
    [ "$status" -ne 0 ]
}

@test "predict --tta: an unknown view is a usage error" {
    run predict --tta=rotate "$MODEL" "$TEST_TS"
    [ "$status" -eq 2 ]
    [[ "$output" == "predict: --tta: expected 'flip' or 'flip,shift', got 'rotate'"* ]]
}

@test "predict --summary shows the network and how it was trained" {
    run predict --summary "$MODEL"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Total params: 105994"* ]]
    [[ "$output" == *"epochs_run=2"* ]]
}

@test "predict: a stream whose shape does not fit the model" {
    printf '1,2,3,4\n' | csv2tensor --shape 2x2x1 > "$BATS_TEST_TMPDIR/s.ts"
    run --separate-stderr predict "$MODEL" "$BATS_TEST_TMPDIR/s.ts"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/s.ts: records are 2x2x1 u8, the model $MODEL takes 28x28x1 images" ]
}

@test "predict: damaged, truncated, foreign and missing model files" {
    cp "$MODEL" "$BATS_TEST_TMPDIR/flip.bin"
    printf '\xff' | dd of="$BATS_TEST_TMPDIR/flip.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
    run --separate-stderr predict "$BATS_TEST_TMPDIR/flip.bin" "$TEST_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/flip.bin: damaged model file: checksum mismatch (truncated or corrupted copy?)" ]
    head -c 3000 "$MODEL" > "$BATS_TEST_TMPDIR/half.bin"
    run --separate-stderr predict "$BATS_TEST_TMPDIR/half.bin" "$TEST_TS"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"damaged model file: checksum mismatch"* ]]
    run --separate-stderr predict "$TEST_TS" "$TEST_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "predict: $TEST_TS: not a model file (bad magic; make one with train)" ]
    run --separate-stderr predict "$BATS_TEST_TMPDIR/none.bin" "$TEST_TS"
    [ "$status" -eq 1 ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/none.bin: No such file or directory" ]
}

@test "predict: a truncated input stream fails and marks its own output as broken" {
    head -c 100000 "$TEST_TS" > "$BATS_TEST_TMPDIR/cut.ts"
    run --separate-stderr bash -c "predict '$MODEL' '$BATS_TEST_TMPDIR/cut.ts' > '$BATS_TEST_TMPDIR/out.ts'"
    [ "$status" -eq 1 ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/cut.ts: truncated stream: header says 500 records, got 126" ] ||
    [[ "$stderr" == *"truncated"* ]]
    run --separate-stderr tensor2csv --raw --no-header "$BATS_TEST_TMPDIR/out.ts"
    [ "$status" -eq 1 ]
}

@test "predict: usage errors, /dev/full and a closed pipe" {
    run --separate-stderr predict
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "predict: missing MODEL" ]
    run --separate-stderr bash -c "predict '$MODEL' '$TEST_TS' > /dev/full"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "predict: <stdout>: write error: No space left on device" ]]
    run bash -c "set -o pipefail; predict '$MODEL' '$TEST_TS' | head -c 100 | wc -c"
    [ "$output" = "100" ]
}

@test "predict: folded batch norm gives the unfolded classes and probabilities within 1e-5" {
    run predict --summary "$BN_MODEL"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Inference: 4 of 4 batch norm layers folded into conv/dense weights; input normalisation folded into the first conv"* ]]
    run predict --summary --no-fold "$BN_MODEL"
    [[ "$output" == *"Inference: 0 of 4 batch norm layers folded"*"input normalisation a pass of its own"* ]]
    d=$BATS_TEST_TMPDIR
    for conv in im2col winograd; do
        predict -j 2 --conv $conv "$BN_MODEL" "$TEST_TS" > "$d/fold-$conv.ts"
        predict -j 2 --conv $conv --no-fold "$BN_MODEL" "$TEST_TS" > "$d/plain-$conv.ts"
        run same_predictions "$d/fold-$conv.ts" "$d/plain-$conv.ts"
        [ "$output" = "500 0 0" ]
    done
    # the folds changed the arithmetic: the outputs are not byte for byte the same
    run cmp -s "$d/fold-im2col.ts" "$d/plain-im2col.ts"
    [ "$status" -ne 0 ]
}

@test "predict --conv: im2col, winograd and auto agree within 1e-5; the summary names each layer's" {
    d=$BATS_TEST_TMPDIR
    for conv in im2col winograd auto; do
        predict -j 2 --conv $conv --no-fold "$BN_MODEL" "$TEST_TS" > "$d/$conv.ts"
    done
    run same_predictions "$d/im2col.ts" "$d/winograd.ts"
    [ "$output" = "500 0 0" ]
    run same_predictions "$d/im2col.ts" "$d/auto.ts"
    [ "$output" = "500 0 0" ]
    run bash -c "predict --summary --conv auto '$BN_MODEL' | grep -o 'conv2d 3x3/1 [a-z2]*'"
    # 1 channel in: im2col; 32 in on 28x28 and on 14x14: winograd
    [ "$output" = "$(printf 'conv2d 3x3/1 im2col\nconv2d 3x3/1 winograd\nconv2d 3x3/1 winograd')" ]
    run bash -c "predict --summary --conv winograd '$BN_MODEL' | grep -c 'conv2d 3x3/1 winograd'"
    [ "$output" = "3" ]
    run bash -c "predict --summary --conv im2col '$BN_MODEL' | grep -c 'conv2d 3x3/1 im2col'"
    [ "$output" = "3" ]
}

@test "predict --conv: an unknown algorithm is a usage error" {
    run --separate-stderr predict --conv fft "$MODEL" "$TEST_TS"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "predict: --conv: unknown convolution algorithm 'fft' (im2col, winograd, auto)" ]
}

@test "predict --int8: calibrated int8 convolutions keep the float probabilities within 0.05" {
    d=$BATS_TEST_TMPDIR
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -301 | csv2tensor > "$d/cal.ts"
    predict -j 2 "$BN_MODEL" "$TEST_TS" > "$d/f32.ts"
    predict -j 2 --int8 "$d/cal.ts" "$BN_MODEL" "$TEST_TS" > "$d/i8.ts"
    # every probability within 0.05; a class may change only where float's two best are
    # within 0.1 (a model trained one epoch on 200 images has many such near ties)
    run bash -c "paste -d, <(tensor2csv --raw --no-header '$d/f32.ts') <(tensor2csv --raw --no-header '$d/i8.ts') | awk -F, '
        { ca = cb = 2; for (i = 2; i <= 11; i++) { x = \$i - \$(i + 11); if (x < 0) x = -x; if (x > 0.05) far++
              if (\$i > \$ca) ca = i; if (\$(i + 11) > \$(cb + 11)) cb = i }
          second = -1; for (i = 2; i <= 11; i++) if (i != ca && \$i > second) second = \$i
          if (ca != cb && \$ca - second > 0.1) clear++ }
        END { print NR, far + 0, clear + 0 }'"
    [ "$output" = "500 0 0" ]
    # int8 is not float: the outputs differ
    run cmp -s "$d/f32.ts" "$d/i8.ts"
    [ "$status" -ne 0 ]
}

@test "predict --int8: the calibration stream must be a readable file of the model's images" {
    run --separate-stderr predict --int8 - "$MODEL" "$TEST_TS"
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "predict: --int8: the calibration stream must be a file, not stdin" ]
    run --separate-stderr predict --int8 "$BATS_TEST_TMPDIR/none.ts" "$MODEL" "$TEST_TS"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/none.ts: No such file or directory" ]
    printf '1,2,3,4\n' | csv2tensor --shape 2x2x1 > "$BATS_TEST_TMPDIR/s.ts"
    run --separate-stderr predict --int8 "$BATS_TEST_TMPDIR/s.ts" "$MODEL" "$TEST_TS"
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "$stderr" = "predict: $BATS_TEST_TMPDIR/s.ts: records are 2x2x1 u8, the model $MODEL takes 28x28x1 images" ]
}
