#!/usr/bin/env bats
# pipelines/evaluate, with a stand-in for predict (tests/fixtures/evaluate-fake-predict:
# right except for ids with id % 4 == 3) so that these tests check the plumbing
# (format detection, the report file) whatever model exists.
load test_helper

setup() {
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    for p in csv2tensor idx2tensor npy2tensor confmat; do
        ln -s "$TOP/bin/$p" "$BATS_TEST_TMPDIR/bin/$p"
    done
    ln -s "$FIX/evaluate-fake-predict" "$BATS_TEST_TMPDIR/bin/predict"
    export BIN="$BATS_TEST_TMPDIR/bin"
    EVAL="$TOP/pipelines/evaluate"
    MODEL="$BATS_TEST_TMPDIR/model.bin"
    : >"$MODEL"
}

@test "evaluate: gzip CSV, report written and printed" {
    run --separate-stderr "$EVAL" -o "$BATS_TEST_TMPDIR/out/report.txt" "$MODEL" "$SAMPLES/fashion-mnist_test-500.csv.gz"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "${lines[0]}" = "evaluation report" ]
    [ "${lines[2]}" = "data:  $SAMPLES/fashion-mnist_test-500.csv.gz (csv)" ]
    [[ "$output" == *"fake model for tests ($MODEL)"* ]]
    [[ "$output" == *"accuracy: 0.7500 (375 of 500 correct; 125 errors)"* ]]
    [[ "$output" == *"weighted avg"* ]]
    [[ "$output" == *"most-confused pairs"* ]]
    diff <(echo "$output") "$BATS_TEST_TMPDIR/out/report.txt"
    [ "$(ls -A "$BATS_TEST_TMPDIR/out")" = "report.txt" ]
}

@test "evaluate: a second run replaces the report, never appends" {
    "$EVAL" -o "$BATS_TEST_TMPDIR/r.txt" "$MODEL" "$SAMPLES/fashion-mnist_test-500.csv.gz" >/dev/null
    n=$(wc -l <"$BATS_TEST_TMPDIR/r.txt")
    "$EVAL" -o "$BATS_TEST_TMPDIR/r.txt" "$MODEL" "$SAMPLES/fashion-mnist_test-500.csv.gz" >/dev/null
    [ "$(wc -l <"$BATS_TEST_TMPDIR/r.txt")" -eq "$n" ]
}

@test "evaluate: a .npy pair is detected by its magic, whatever its name" {
    cp "$FIX/npy-f4-784.npy" "$BATS_TEST_TMPDIR/images.data"
    run --separate-stderr "$EVAL" "$MODEL" "$BATS_TEST_TMPDIR/images.data" "$FIX/npy-labels-onehot-f4.npy"
    [ "$status" -eq 0 ]
    [[ "$output" == *"(npy)"* ]]
    [[ "$output" == *"accuracy: 1.0000 (3 of 3 correct; 0 errors)"* ]]
}

@test "evaluate: an IDX pair, gzip-compressed" {
    printf '\0\0\10\3\0\0\0\3\0\0\0\34\0\0\0\34' >"$BATS_TEST_TMPDIR/img"
    tail -c +129 "$FIX/npy-u1-784.npy" >>"$BATS_TEST_TMPDIR/img"
    gzip "$BATS_TEST_TMPDIR/img"
    printf '\0\0\10\1\0\0\0\3\11\0\3' >"$BATS_TEST_TMPDIR/lab"
    run --separate-stderr "$EVAL" "$MODEL" "$BATS_TEST_TMPDIR/img.gz" "$BATS_TEST_TMPDIR/lab"
    [ "$status" -eq 0 ]
    [[ "$output" == *"(idx)"* ]]
    [[ "$output" == *"accuracy: 1.0000 (3 of 3 correct; 0 errors)"* ]]
}

@test "evaluate: a failing run leaves the old report as it was, and no temporary file" {
    echo old >"$BATS_TEST_TMPDIR/r.txt"
    run --separate-stderr -1 "$EVAL" -o "$BATS_TEST_TMPDIR/r.txt" "$MODEL" "$FIX/npy-u1-784.npy" "$FIX/npy-labels-short.npy"
    [[ "$stderr" == "npy2tensor: "*"has 3 images but"*"has 2 labels" ]] # one line: the converter's
    [ "$(cat "$BATS_TEST_TMPDIR/r.txt")" = old ]
    [ "$(ls -A "$BATS_TEST_TMPDIR" | grep -c tmp)" -eq 0 ]
}

@test "evaluate: unlabelled CSV is confmat's clear error" {
    gzip -dc "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -3 | cut -d, -f2- >"$BATS_TEST_TMPDIR/nolabel.csv"
    run --separate-stderr -1 "$EVAL" "$MODEL" "$BATS_TEST_TMPDIR/nolabel.csv"
    [ "$stderr" = "confmat: <stdin>: record 1: no true label (confmat needs labelled predictions)" ]
}

@test "evaluate: bad data is one line, from the converter; -o and --png never overwrite an input" {
    printf 'label,a,b\n1,2\n' >"$BATS_TEST_TMPDIR/bad.csv"
    run --separate-stderr -1 "$EVAL" "$MODEL" "$BATS_TEST_TMPDIR/bad.csv"
    [[ "$stderr" == "csv2tensor: $BATS_TEST_TMPDIR/bad.csv: line 1: header has 3 fields"* ]]
    cp "$SAMPLES/fashion-mnist_test-500.csv.gz" "$BATS_TEST_TMPDIR/d.csv.gz"
    cp "$MODEL" "$BATS_TEST_TMPDIR/m.bin"
    run --separate-stderr -1 "$EVAL" -p "$BATS_TEST_TMPDIR/d.csv.gz" "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/d.csv.gz"
    [ "$stderr" = "evaluate: $BATS_TEST_TMPDIR/d.csv.gz is an input; refusing to overwrite it" ]
    run --separate-stderr -1 "$EVAL" -p "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/m.bin" "$BATS_TEST_TMPDIR/d.csv.gz"
    [ "$stderr" = "evaluate: $BATS_TEST_TMPDIR/m.bin is an input; refusing to overwrite it" ]
    cmp "$BATS_TEST_TMPDIR/m.bin" "$MODEL" && cmp "$BATS_TEST_TMPDIR/d.csv.gz" "$SAMPLES/fashion-mnist_test-500.csv.gz" || false
    run --separate-stderr -2 "$EVAL" -o "$BATS_TEST_TMPDIR/r" -p "$BATS_TEST_TMPDIR/r" "$MODEL" "$BATS_TEST_TMPDIR/d.csv.gz"
    [ "${stderr_lines[0]}" = "evaluate: -o and --png name the same file: $BATS_TEST_TMPDIR/r" ]
}

@test "evaluate: missing predict, missing labels, usage errors" {
    rm "$BIN/predict"
    run --separate-stderr -1 "$EVAL" "$MODEL" "$SAMPLES/fashion-mnist_test-500.csv.gz"
    [ "$stderr" = "evaluate: $BIN/predict is missing (run make; predict comes from filters/predict.c)" ]
    ln -s "$FIX/evaluate-fake-predict" "$BIN/predict"
    run --separate-stderr -1 "$EVAL" "$MODEL" "$FIX/npy-u1-784.npy"
    [ "$stderr" = "evaluate: $FIX/npy-u1-784.npy: .npy images need a LABELS file (the true labels)" ]
    run --separate-stderr -2 "$EVAL" "$MODEL"
    [ -z "$output" ]
    run --separate-stderr -2 "$EVAL" --format png "$MODEL" x
    [ -z "$output" ]
    run --separate-stderr -2 "$EVAL" "$MODEL" "$SAMPLES/fashion-mnist_test-500.csv.gz" "$FIX/npy-labels-u1.npy"
    [ -z "$output" ]
    run "$EVAL" --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:* ]]
}
