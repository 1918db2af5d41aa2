#!/usr/bin/env bats
# confmat: figures checked against values computed by hand from the
# definitions of sklearn.metrics.classification_report. Fixtures come from
# tests/fixtures/make-preds.py.
#
# confmat-small.fmts, K = 5 classes ("class 0".."class 4"):
#   truth     0 0 0 1 1 2 2 2 2
#   predicted 0 0 2 0 2 2 2 3 2   (record 1 ties classes 0 and 1 at 0.4: argmax -> 0)
#   class 0: tp 2, predicted 3, support 3: P 2/3, R 2/3, F1 2/3
#   class 1: tp 0, never predicted, support 2: P 0 (zero_division), R 0, F1 0
#   class 2: tp 3, predicted 5, support 4: P 3/5, R 3/4, F1 2*.6*.75/1.35 = 2/3
#   class 3: tp 0, predicted 1, absent from the truth: P 0, R 0 (zero_division), F1 0
#   class 4: neither true nor predicted: not in the report (as sklearn)
#   accuracy 5/9 = 0.5556
#   macro    P (2/3 + 3/5)/4 = 0.3167  R (2/3 + 3/4)/4 = 0.3542  F1 (4/3)/4 = 0.3333
#   weighted P (3*2/3 + 4*3/5)/9 = 0.4889  R 5/9 = 0.5556  F1 (3*2/3 + 4*2/3)/9 = 0.5185
#   log-loss: p(true) is 0.4 once, 0.7 four times, 0.075 four times:
#            -(ln .4 + 4 ln .7 + 4 ln .075)/9 = 1.4116
#   top-2 (ties: lower index first): the 5 right + records 3 and 4 = 7 of 9
load test_helper

@test "confmat: the whole text report on the small fixture" {
    run --separate-stderr confmat "$FIX/confmat-small.fmts"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    diff -u "$FIX/confmat-small.expected" <(echo "$output")
}

@test "confmat: accuracy, errors and log-loss computed by hand" {
    run confmat "$FIX/confmat-small.fmts"
    [ "${lines[0]}" = "records: 9" ]
    [ "${lines[1]}" = "accuracy: 0.5556 (5 of 9 correct; 4 errors)" ]
    [ "${lines[2]}" = "log-loss: 1.4116 (mean -ln p(true class), p clipped to [1e-15, 1 - 1e-15])" ]
}

@test "confmat: report rows with 4 digits, as sklearn's classification_report(digits=4)" {
    run confmat --digits 4 "$FIX/confmat-small.fmts"
    [[ "$output" == *"     class 0     0.6667    0.6667    0.6667         3"* ]]
    # never predicted: precision 0
    [[ "$output" == *"     class 1     0.0000    0.0000    0.0000         2"* ]]
    [[ "$output" == *"     class 2     0.6000    0.7500    0.6667         4"* ]]
    # absent from the truth: recall 0, support 0
    [[ "$output" == *"     class 3     0.0000    0.0000    0.0000         0"* ]]
    # neither true nor predicted: left out, like sklearn
    [[ "$output" != *"     class 4  "* ]]
    [[ "$output" == *"    accuracy                         0.5556         9"* ]]
    [[ "$output" == *"   macro avg     0.3167    0.3542    0.3333         9"* ]]
    [[ "$output" == *"weighted avg     0.4889    0.5556    0.5185         9"* ]]
    [[ "$output" == *"note: class 1: precision set to 0 for classes never predicted (as sklearn's zero_division)"* ]]
    [[ "$output" == *"note: class 3: recall set to 0 for classes absent from the truth (as sklearn's zero_division)"* ]]
}

@test "confmat: a tie in the argmax goes to the lowest class index" {
    run bash -c "confmat --csv '$FIX/confmat-small.fmts' | sed -n 2p"
    [ "$output" = "0,class 0,2,0,1,0,0" ]
}

@test "confmat: top-k accuracy (ties: lower index first)" {
    run confmat --top-k 2 "$FIX/confmat-small.fmts"
    [ "${lines[2]}" = "top-2 accuracy: 0.7778 (7 of 9)" ]
    run confmat --top-k 5 "$FIX/confmat-small.fmts"
    [ "${lines[2]}" = "top-5 accuracy: 1.0000 (9 of 9)" ]
}

@test "confmat: most-confused pairs, ties ordered by true then predicted class; --pairs" {
    run bash -c "confmat --pairs 2 '$FIX/confmat-small.fmts' | tail -3"
    [ "$output" = $'most-confused pairs (true -> predicted: count, share of the true class)\n  class 0 -> class 2: 1 (33.3%)\n  class 1 -> class 0: 1 (50.0%)' ]
    run bash -c "confmat --pairs 0 '$FIX/confmat-small.fmts' | grep -c most-confused"
    [ "$output" = 0 ]
}

@test "confmat: a single record, with the Fashion-MNIST class names" {
    run confmat "$FIX/confmat-single.fmts"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "accuracy: 0.0000 (0 of 1 correct; 1 error)" ]
    [ "${lines[2]}" = "log-loss: 2.9957 (mean -ln p(true class), p clipped to [1e-15, 1 - 1e-15])" ]
    [[ "$output" == *"6 Shirt          1    0    0    0    0    0    0    0    0    0"* ]]
    [[ "$output" == *" T-shirt/top       0.00      0.00      0.00         0"* ]]
    [[ "$output" == *"       Shirt       0.00      0.00      0.00         1"* ]]
    [[ "$output" == *"  Shirt -> T-shirt/top: 1 (100.0%)" ]]
}

@test "confmat: 300 records over 10 classes (report rows checked against sklearn 1.2.1 once)" {
    run confmat "$FIX/confmat-fashion.fmts"
    [ "$status" -eq 0 ]
    diff -u "$FIX/confmat-fashion.expected" <(echo "$output")
}

@test "confmat: --json holds every figure" {
    run confmat --json --top-k 2 "$FIX/confmat-small.fmts"
    [ "$status" -eq 0 ]
    [[ "$output" == *'"accuracy": 0.5555555556,'* ]]
    [[ "$output" == *'"top_k": {"k": 2, "accuracy": 0.7777777778},'* ]]
    [[ "$output" == *'{"class": 1, "name": "class 1", "precision": 0, "recall": 0, "f1": 0, "support": 2, "predicted": 0},'* ]]
    [[ "$output" == *'"macro_avg": {"precision": 0.3166666667, "recall": 0.3541666667, "f1": 0.3333333333, "support": 9},'* ]]
    [[ "$output" == *'"weighted_avg": {"precision": 0.4888888889, "recall": 0.5555555556, "f1": 0.5185185185, "support": 9},'* ]]
    [[ "$output" == *'    [0, 0, 3, 1, 0],'* ]]
    if command -v python3 >/dev/null; then
        echo "$output" | python3 -m json.tool >/dev/null
    fi
}

@test "confmat: --csv is the confusion matrix with class names" {
    run confmat --csv "$FIX/confmat-single.fmts"
    [ "${lines[0]}" = "class,name,T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot" ]
    [ "${lines[7]}" = "6,Shirt,1,0,0,0,0,0,0,0,0,0" ]
    [ "${#lines[@]}" -eq 11 ]
}

@test "confmat: --png draws a heatmap" {
    run confmat --png "$BATS_TEST_TMPDIR/cm.png" --csv "$FIX/confmat-fashion.fmts"
    [ "$status" -eq 0 ]
    run od -An -c -j1 -N3 "$BATS_TEST_TMPDIR/cm.png"
    [ "$(echo $output)" = "P N G" ]
    # IHDR width and height, big-endian: 40 px cells, the longest name "0 T-shirt/top" (154 px) and
    # the axis title left of and above them: 10 + 18 + 10 + 154 + 10 + 400 + 10 = 612
    run od -An -tx1 -j16 -N8 "$BATS_TEST_TMPDIR/cm.png"
    [ "$(echo $output)" = "00 00 02 64 00 00 02 64" ]
    # written atomically: no temporary file left beside it
    [ "$(ls "$BATS_TEST_TMPDIR")" = "cm.png" ]
}

@test "confmat: --png names the classes on both axes and titles them" {
    INK="$TOP/tests/tools/png-ink.py"
    confmat --png "$BATS_TEST_TMPDIR/cm.png" "$FIX/confmat-fashion.fmts" >/dev/null
    # ink (text) in: the top-left corner (none), "predicted label" above the cells, "true label" left
    # of them, the first and last row names, the first and last column names (turned upwards)
    run python3 "$INK" "$BATS_TEST_TMPDIR/cm.png" 0 0 200 200  202 10 400 18  10 202 18 400 \
        38 202 154 40  38 562 154 40  202 38 40 154  562 38 40 154
    [ "$(echo $output)" = "612 612 0 708 440 536 528 536 528" ]
    # five classes without names: "class N", a narrower margin (106 px names), 200 px of cells
    confmat --png "$BATS_TEST_TMPDIR/small.png" "$FIX/confmat-small.fmts" >/dev/null
    run python3 "$INK" "$BATS_TEST_TMPDIR/small.png" 0 0 150 150  154 10 200 18  10 154 18 200  38 154 106 40
    [ "$(echo $output)" = "364 364 0 708 440 384" ]
}

@test "confmat: scores that are not probabilities give no log-loss" {
    run confmat "$FIX/confmat-logits.fmts"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "accuracy: 0.6667 (2 of 3 correct; 1 error)" ]
    [ "${lines[2]}" = "log-loss: n/a (the scores are not probabilities)" ]
}

@test "confmat: predictions without true labels are an error" {
    run --separate-stderr -1 bash -c "confmat < '$FIX/confmat-nolabel.fmts'"
    [ "$stderr" = "confmat: <stdin>: record 1: no true label (confmat needs labelled predictions)" ]
    [ -z "$output" ]
}

@test "confmat: an image stream is not predictions" {
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-u1-784.npy' '$FIX/npy-labels-u1.npy' | confmat"
    [ "$stderr" = "confmat: <stdin>: a 28x28x1 u8 stream is not predictions (expected f32 class scores, rank 1: run predict first)" ]
    [ -z "$output" ]
}

@test "confmat: an empty or truncated stream" {
    run --separate-stderr -1 confmat "$FIX/confmat-empty.fmts"
    [ "$stderr" = "confmat: $FIX/confmat-empty.fmts: no records (nothing to evaluate)" ]
    run --separate-stderr -1 bash -c "head -c 100 '$FIX/confmat-small.fmts' | confmat"
    [ "$stderr" = "confmat: <stdin>: record 3: truncated (got 12 of 28 bytes)" ]
    [ -z "$output" ]
    run --separate-stderr -1 confmat /dev/null
    [ -z "$output" ]
}

@test "confmat: usage errors exit 2 and write nothing to stdout" {
    for args in "--csv --json" "--top-k 0" "--top-k 6" "--pairs -1" "--digits x" "--bogus" "a b"; do
        run --separate-stderr -2 confmat $args "$FIX/confmat-small.fmts"
        [ -z "$output" ]
    done
    run --separate-stderr -2 confmat --top-k 6 "$FIX/confmat-small.fmts"
    [ "${stderr%%$'\n'*}" = "confmat: --top-k 6: the stream has only 5 classes" ]
}

@test "confmat: --help, --version; /dev/full fails loudly" {
    run confmat --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:\ confmat* ]]
    run confmat --version
    [ "$status" -eq 0 ]
    run --separate-stderr -1 bash -c "confmat '$FIX/confmat-small.fmts' > /dev/full"
    [[ "$stderr" == confmat:*"No space left on device"* ]]
}
