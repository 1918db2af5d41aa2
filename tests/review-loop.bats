#!/usr/bin/env bats
# The whole human-in-the-loop on the 500-image test sample:
# predictions -> flag -> simulated review -> merge, and pipelines/review.
# Until a tiny model can run here, the predictions come from a seeded fake model
# (tests/fixtures/flag-mkpreds.py --simulate) that keeps the images' ids and labels.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    SIM=$TOP/pipelines/simulate-reviewer
    csv2tensor "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$T/img.ts"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f1 | awk '{ print NR - 1, $1 }' |
        python3 "$FIX/flag-mkpreds.py" --simulate 7 >"$T/test.preds"
}

@test "loop: flag 10 % with thumbnails -> perfect reviewer -> merge reaches the report's figure" {
    mkdir "$T/rev"
    run --separate-stderr flag --budget 10% --images "$T/img.ts" --thumbs "$T/rev/thumbs" --html "$T/rev/review.html" -o "$T/rev/review.csv" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]%%(*}" = "flag: flagged 50 of 500 records " ]
    # counts: 50 rows, 50 thumbnails, 50 images in the labelling page
    [ "$(tail -n +2 "$T/rev/review.csv" | wc -l)" -eq 50 ]
    [ "$(ls "$T/rev/thumbs" | wc -l)" -eq 50 ]
    [ "$(grep -o '"img": "data:image/png;base64,' "$T/rev/review.html" | wc -l)" -eq 50 ]
    # ordering: scores never decrease, ids unique
    [ "$(tail -n +2 "$T/rev/review.csv" | cut -d, -f12 | sort -c -g && echo sorted)" = "sorted" ]
    [ "$(tail -n +2 "$T/rev/review.csv" | cut -d, -f1 | sort -u | wc -l)" -eq 50 ]
    # every image column names an existing thumbnail next to the sheet
    for p in $(tail -n +2 "$T/rev/review.csv" | cut -d, -f13); do [ -f "$T/rev/$p" ]; done
    # a perfect reviewer
    "$SIM" --accuracy 1 "$T/rev/review.csv" "$T/rev/reviewed.csv"
    run --separate-stderr merge --reviews "$T/rev/reviewed.csv" -o "$T/rev/final.csv" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "$(tail -n +2 "$T/rev/final.csv" | wc -l)" -eq 500 ]
    # the final accuracy equals flag --report's "perfect reviewer" figure at 10 %
    want=$(flag --report --csv "$T/test.preds" | awk -F, '$1 == 10 { printf "%.2f", 100 * $5 }')
    [[ "${stderr_lines[-1]}" == *"-> $want % (after review) on 500 labelled records; reviewed records right after review: 50 of 50 (100.00 %)" ]]
    # and every record the reviewer changed is now right
    [ "$(join -t, <(tail -n +2 "$T/rev/final.csv" | grep ',reviewer$' | sort -t, -k1,1) \
            <(tail -n +2 "$T/rev/review.csv" | cut -d, -f1,2 | sort -t, -k1,1) | awk -F, '$2 != $5' | wc -l)" -eq 0 ]
}

@test "loop: a reviewer of accuracy 0.835 writing names; seeded, so repeatable" {
    flag --target-accuracy 0.95 --calibrate "$T/test.preds" -o "$T/review.csv" "$T/test.preds" 2>/dev/null
    "$SIM" --accuracy 0.835 --seed 5 --names "$T/review.csv" "$T/a.csv"
    "$SIM" --accuracy 0.835 --seed 5 --names <"$T/review.csv" >"$T/b.csv"
    cmp "$T/a.csv" "$T/b.csv"
    # names, not numbers, in the reviewer column
    [ "$(tail -n +2 "$T/a.csv" | awk -F, '$NF ~ /^[0-9]+$/' | wc -l)" -eq 0 ]
    [ "$(tail -n +2 "$T/a.csv" | awk -F, '$NF != ""' | wc -l)" -gt 0 ]
    run --separate-stderr merge --reviews "$T/a.csv" "$T/test.preds"
    [ "$status" -eq 0 ]
    # every row decided: a class, or ok where the simulated reviewer agrees with the model
    [[ "${stderr_lines[0]}" =~ ^merge:\ ([0-9]+)\ of\ 500\ records\ on\ the\ sheet:\ ([0-9]+)\ reviewed\  ]] || false
    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
    [ "$(tail -n +2 "$T/a.csv" | awk -F, '$NF == "ok"' | wc -l)" -gt 0 ]
}

@test "simulate-reviewer: needs true labels; usage errors" {
    printf 'id,predicted,reviewer_label\n1,2,\n' >"$T/nolab.csv"
    run --separate-stderr -1 "$SIM" "$T/nolab.csv"
    [ "$stderr" = "simulate-reviewer: no 'true_label' column (run flag on predictions that carry true labels)" ]
    run --separate-stderr -2 "$SIM" --accuracy 2
    [ "${stderr_lines[0]}" = "simulate-reviewer: --accuracy must be in 0..1" ]
    run "$SIM" --help
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "simulate-reviewer - fill a review sheet's reviewer_label column from its true labels." ]]
}

@test "simulate-reviewer: a malformed sheet is one line, no traceback; classes from the sheet" {
    printf 'id,true_label,predicted,reviewer_label\n1,2\n' >"$T/short.csv"
    run --separate-stderr -1 "$SIM" "$T/short.csv"
    [ "$stderr" = "simulate-reviewer: $T/short.csv: line 2: 2 fields, the header has 4" ]
    printf 'id,true_label,predicted,reviewer_label\n1,x,2,\n' >"$T/x.csv"
    run --separate-stderr -1 "$SIM" "$T/x.csv"
    [ "$stderr" = "simulate-reviewer: $T/x.csv: line 2: true_label 'x' is not a class number" ]
    printf 'id,true_label,predicted,reviewer_label\n1,\377,2,\n' >"$T/bin.csv"
    run --separate-stderr -1 "$SIM" "$T/bin.csv"
    [[ "$stderr" == "simulate-reviewer: $T/bin.csv: not a UTF-8 CSV sheet ("* ]]
    run --separate-stderr -1 "$SIM" "$T/none.csv"
    [ "$stderr" = "simulate-reviewer: $T/none.csv: No such file or directory" ]
    # a 2-class sheet: a wrong answer can only be the other class
    { echo 'id,true_label,predicted,reviewer_label'; for i in $(seq 0 49); do echo "$i,$((i % 2)),0,"; done; } >"$T/k2.csv"
    "$SIM" --accuracy 0 --always "$T/k2.csv" "$T/k2out.csv"
    [ "$(tail -n +2 "$T/k2out.csv" | awk -F, '$4 != 1 - $2' | wc -l)" -eq 0 ]
}

@test "pipelines/review: a missing option value is a usage error" {
    run --separate-stderr -2 "$TOP/pipelines/review" --model
    [ "${stderr_lines[0]}" = "review: --model needs a value" ]
    run --separate-stderr -2 "$TOP/pipelines/review" --model "$T/test.preds" --test "$T/img.ts"
    [ "${stderr_lines[0]}" = "review: --val is required with --model (the validation split the model was trained beside)" ]
}

@test "pipelines/review: the whole demo from prediction streams" {
    run --separate-stderr "$TOP/pipelines/review" --val-preds "$T/test.preds" --test-preds "$T/test.preds" --test "$T/img.ts" --target 0.95 --out "$T/out"
    [ "$status" -eq 0 ]
    [[ "$output" == *"AURC, area under the risk-coverage curve (lower is better):"* ]]
    [[ "$output" == *"flag: threshold top1 < "*" chosen on $T/test.preds"* ]]
    [[ "$output" == *"bin/merge --reviews REVIEWED.xlsx -o final.csv $T/test.preds     (or REVIEWED.csv)"* ]]
    for f in review.csv review.html review.xlsx risk-coverage.txt risk-coverage.csv risk-coverage.json \
             risk-coverage-val.txt review-simulated.csv final-simulated.csv; do
        [ -s "$T/out/$f" ]
    done
    [ "$(ls "$T/out/thumbs" | wc -l)" -eq "$(($(wc -l <"$T/out/review.csv") - 1))" ]
    [ "$(tail -n +2 "$T/out/final-simulated.csv" | wc -l)" -eq 500 ]
}

@test "pipelines/review: a CSV that does not convert stops it, even over an earlier run's stream" {
    run --separate-stderr "$TOP/pipelines/review" --val-preds "$T/test.preds" --test-preds "$T/test.preds" --test "$SAMPLES/fashion-mnist_test-500.csv.gz" --out "$T/out"
    [ "$status" -eq 0 ] && [ -s "$T/out/test.ts" ] || false
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | { head -n 50; echo '1,2,3'; cat; } >"$T/bad.csv"
    rm "$T/out/review.csv"
    run --separate-stderr "$TOP/pipelines/review" --val-preds "$T/test.preds" --test-preds "$T/test.preds" --test "$T/bad.csv" --out "$T/out"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "csv2tensor: $T/bad.csv: line 51: "* ]]
    [ ! -e "$T/out/review.csv" ]
    [ -z "$(ls "$T/out" | grep '\.tmp$')" ]
}

# ---- back to training ----------------------------------------------------------------

# A real (tiny) model: the small network, one epoch on 1,600 training images, one thread
# so that the same seed gives the same model.
tiny_model() {
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" | split --ratio 0.2 --seed 1 -o "$T/train.ts" -O "$T/val.ts"
    TINY="-a small --epochs 1 --batch 64 --augment none --seed 1 -j 1"
    train $TINY -q --val "$T/val.ts" -o "$T/model.bin" "$T/train.ts"
}

@test "make retrain-reviewed on the samples: review -> merge -> train on train + reviewed -> held-out accuracy change" {
    tiny_model
    # a make of its own: not the jobserver or the variables of a `make check` around the tests
    run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$TOP" retrain-reviewed BIN="$(dirname "$(command -v merge)")" \
        RETRAIN_MODEL="$T/model.bin" RETRAIN_TRAIN="$T/train.ts" RETRAIN_VAL="$T/val.ts" \
        RETRAIN_TEST="$T/img.ts" RETRAIN_RECIPE="$TINY" RETRAIN_TARGET=0.9 RETRAIN_REVIEWER=1 RETRAIN_DIR="$T/rt"
    [ "$status" -eq 0 ]
    # the pool's sheet, as CSV and as a workbook; the simulated reviewer decided every row
    rows=$(($(wc -l <"$T/rt/pool-review.csv") - 1))
    [ "$rows" -gt 0 ]
    [ -s "$T/rt/pool-review.xlsx" ]
    [ "$(grep -c ',reviewer$' "$T/rt/final.csv")" -eq "$rows" ]
    # the reviewed records, labelled by a perfect reviewer with their true labels, joined the training set
    [ "$(tensor2csv --no-header "$T/rt/reviewed.ts" | wc -l)" -eq "$rows" ]
    [ "$(tensor2csv --no-header "$T/rt/train-reviewed.ts" | wc -l)" -eq $((1600 + rows)) ]
    [ "$(tensor2csv --no-header --id "$T/rt/reviewed.ts" | cut -d, -f1,2 | sort)" = \
      "$(tensor2csv --no-header --id "$T/rt/pool.ts" | cut -d, -f1,2 |
         awk -F, 'NR == FNR { if (FNR > 1) want[$1]; next } $1 in want' "$T/rt/pool-review.csv" - | sort)" ]
    # pool and held-out halves are disjoint and make up the test sample
    [ "$(tensor2csv --no-header --id "$T/rt/pool.ts" | wc -l)" -eq 250 ]
    [ -z "$(comm -12 <(tensor2csv --no-header --id "$T/rt/pool.ts" | cut -d, -f1 | sort) <(tensor2csv --no-header --id "$T/rt/heldout.ts" | cut -d, -f1 | sort))" ]
    # the summary's figures are confmat's on the two models' held-out predictions
    b=$(confmat --json "$T/rt/heldout-before.preds" | sed -n 's/^ *"accuracy": \(.*\),$/\1/p')
    a=$(confmat --json "$T/rt/heldout-after.preds" | sed -n 's/^ *"accuracy": \(.*\),$/\1/p')
    want=$(awk -v b="$b" -v a="$a" 'BEGIN { printf "retrain: held-out accuracy %.2f %% (before) -> %.2f %% (after retraining), %+.2f points on 250 records of", 100 * b, 100 * a, 100 * (a - b) }')
    [ "${lines[0]}" = "retrain: $rows reviewed records added to 1600 training records" ]
    [ "${lines[1]}" = "$want $T/rt/heldout.ts" ]
    [ "$(cat "$T/rt/retrain.txt")" = "$output" ]
    # the new model differs from the old: it was trained on more
    ! cmp -s "$T/model.bin" "$T/rt/retrained.bin"
}

@test "pipelines/retrain: a sheet from other predictions stops it before training; usage errors" {
    tiny_model
    flag --budget 10 -o "$T/rev.csv" "$T/test.preds" 2>/dev/null
    "$SIM" --accuracy 1 "$T/rev.csv" "$T/rev-sim.csv"
    predict "$T/model.bin" <"$T/img.ts" >"$T/other.preds"
    run --separate-stderr -1 "$TOP/pipelines/retrain" --model "$T/model.bin" --train "$T/train.ts" --val "$T/val.ts" \
        --images "$T/img.ts" --preds "$T/other.preds" --reviews "$T/rev-sim.csv" --heldout "$T/val.ts" --out "$T/o"
    [[ "$stderr" == "merge: $T/rev-sim.csv: these are not the predictions the sheet was made from (another model, or --tta?): the first 3 rows all disagree (line 2: id "* ]] || false
    [ ! -e "$T/o/retrained.bin" ]
    [ -z "$(ls "$T/o" | grep '\.tmp')" ]
    run --separate-stderr -2 "$TOP/pipelines/retrain" --model "$T/model.bin" --train "$T/train.ts" --val "$T/val.ts" \
        --images "$T/img.ts" --preds "$T/test.preds" --reviews "$T/rev-sim.csv" --heldout "$T/img.ts"
    [ "${stderr_lines[0]}" = "retrain: --heldout must not be the reviewed images (--images): the new model trains on them" ]
    run --separate-stderr -2 "$TOP/pipelines/retrain" --model "$T/model.bin"
    [ "${stderr_lines[0]}" = "retrain: --train FILE is required" ]
    run "$TOP/pipelines/retrain" --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "retrain - from a reviewed sheet back to a model (run by \`make retrain-reviewed\`):" ]
}
