#!/usr/bin/env bats
# predict: probabilities with ids and labels carried through, shape checks,
# damaged models, constant memory, closed pipes.

load test_helper

setup_file() {
    export TEST_TS="$BATS_FILE_TMPDIR/test.ts" MODEL="$BATS_FILE_TMPDIR/m.bin"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | csv2tensor > "$TEST_TS"
    zcat "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -601 | csv2tensor |
        train -q -a "$SAMPLES/small.arch" -e 2 -j 2 -o "$MODEL"
}

@test "predict: one probability vector per record, ids and labels kept, rows sum to 1" {
    predict "$MODEL" "$TEST_TS" > "$BATS_TEST_TMPDIR/p.ts"
    run bash -c "tensor2csv --no-header --id '$BATS_TEST_TMPDIR/p.ts' | awk -F, '{s=0; for(i=3;i<=NF;i++) s+=\$i; if (s<0.999||s>1.001||NF!=12) bad++} END{print NR, bad+0}'"
    [ "$output" = "500 0" ]
    # ids 0..499 in order, labels equal to the CSV's first column
    diff <(tensor2csv --no-header --id "$BATS_TEST_TMPDIR/p.ts" | cut -d, -f1,2) \
         <(zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f1 | awk '{print NR-1 "," $1}')
}

@test "predict: reads stdin, batch size does not change the result, and tta averages" {
    predict "$MODEL" < "$TEST_TS" > "$BATS_TEST_TMPDIR/a.ts"
    predict -b 7 -j 1 "$MODEL" "$TEST_TS" > "$BATS_TEST_TMPDIR/b.ts"
    # different batch slicing may round differently in the last bits: compare to 1e-5
    run bash -c "paste -d, <(tensor2csv --no-header '$BATS_TEST_TMPDIR/a.ts') <(tensor2csv --no-header '$BATS_TEST_TMPDIR/b.ts') | awk -F, '{for(i=2;i<=11;i++){d=\$i-\$(i+11); if(d<0)d=-d; if(d>1e-5)bad++}} END{print bad+0}'"
    [ "$output" = "0" ]
    run predict --tta "$MODEL" "$TEST_TS"
    [ "$status" -eq 0 ]
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
    run --separate-stderr tensor2csv --no-header "$BATS_TEST_TMPDIR/out.ts"
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
