#!/usr/bin/env bats
# flag: the review sheet (selection, ordering, columns, quoting, thumbnails) and
# the risk-coverage report, on hand-computable fixtures.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    MK=$FIX/flag-mkpreds.py
    # flag-risk.txt: 10 records, 2 classes, errors at ids 2, 5, 8; accuracy 0.7
    python3 "$MK" --classes 2 <"$FIX/flag-risk.txt" >"$T/risk.ts"
}

# The first N data rows of the test sample as an image stream without labels (ids 0..N-1).
images() {
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | sed -n "2,$(($1 + 1))p" | cut -d, -f2- | csv2tensor -L
}

# ---- usage -------------------------------------------------------------------

@test "--help to stdout, --version" {
    run flag --help
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Usage: flag [OPTION]... [PREDICTIONS]" ]]
    [[ "$output" == *"--reviewer-accuracy R  the reviewer's accuracy [0.835]"* ]]
    run flag --version
    [ "$status" -eq 0 ]
    [[ "$output" == "flag (fashion-mnist filters) "* ]]
}

@test "usage errors exit 2 and write nothing to stdout" {
    run --separate-stderr -2 flag "$T/risk.ts"
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "flag: say what to flag: --threshold, --budget or --target-accuracy" ]
    [ "${stderr_lines[1]}" = "Try 'flag --help' for more information." ]
    run --separate-stderr -2 flag --budget 2 --threshold 0.5 "$T/risk.ts"
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "flag: --threshold, --budget and --target-accuracy exclude each other" ]
    run --separate-stderr -2 flag --target-accuracy 0.9 "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --target-accuracy needs --calibrate FILE (validation predictions; never the test set)" ]
    run --separate-stderr -2 flag --budget 2 --thumbs "$T/th" "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --thumbs needs --images (the image stream the predictions came from)" ]
    run --separate-stderr -2 flag --budget 2 --score top2 "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --score: expected top1, margin or entropy, got 'top2'" ]
    run --separate-stderr -2 flag --report --budget 2 "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --report takes no --threshold, --budget or --target-accuracy" ]
    run --separate-stderr -2 flag --budget 2 --images - --thumbs "$T/th"
    [ "${stderr_lines[0]}" = "flag: only one input can come from stdin" ]
    run --separate-stderr -2 flag --budget 2 --html "$T/r.html" "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --html needs --images (the page shows each record's image)" ]
    run --separate-stderr -2 flag --budget 2 --images "$T/risk.ts" "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --images goes with --thumbs DIR, --html FILE or --xlsx FILE" ]
    run --separate-stderr -2 flag --budget 2 --show-label "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --show-label goes with --html" ]
    run --separate-stderr -2 flag --budget 2 --csv "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --csv and --json go with --report" ]
    [ -z "$output" ]
}

# ---- the review sheet ----------------------------------------------------------

@test "--budget N: the N least confident, exact CSV with header, stderr summary" {
    run --separate-stderr flag --budget 3 "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "id,true_label,true_name,predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,reviewer_label
9,0,class 0,0,class 0,0.510000,1,class 1,0.490000,0.510000,,
8,1,class 1,0,class 0,0.550000,1,class 1,0.450000,0.550000,,
7,1,class 1,1,class 1,0.600000,0,class 0,0.400000,0.600000,," ]
    [ "${stderr_lines[0]}" = "flag: flagged 3 of 10 records (30.00 %): budget 3, the 3 least confident by top1 (top1 <= 0.6)" ]
    [ "${stderr_lines[1]}" = "flag: the flagged records hold 1 of the model's 3 errors; the 7 not flagged are 71.43 % right" ]
}

@test "--budget N%: rounds to the nearest record; more than all flags all" {
    run --separate-stderr flag --budget 20% "$T/risk.ts"
    [ "$(echo "$output" | cut -d, -f1 | tr '\n' ' ')" = "id 9 8 " ]
    [ "${stderr_lines[0]}" = "flag: flagged 2 of 10 records (20.00 %): budget 20%, the 2 least confident by top1 (top1 <= 0.55)" ]
    run --separate-stderr flag --budget 50 "$T/risk.ts"
    [ "${#lines[@]}" -eq 11 ]
    run --separate-stderr flag --budget 0 "$T/risk.ts"
    [ "${#lines[@]}" -eq 1 ]
    [ "${stderr_lines[0]}" = "flag: flagged 0 of 10 records (0.00 %): budget 0, the 0 least confident by top1" ]
}

@test "--threshold P: strictly below P (0.7 itself is not flagged)" {
    run --separate-stderr flag --threshold 0.7 "$T/risk.ts"
    [ "$(echo "$output" | cut -d, -f1 | tr '\n' ' ')" = "id 9 8 7 6 " ]
    [ "${stderr_lines[0]}" = "flag: flagged 4 of 10 records (40.00 %): top1 < 0.7" ]
}

@test "--score: top1, margin and entropy order the records differently" {
    python3 "$MK" --classes 3 <"$FIX/flag-scores.txt" >"$T/s.ts"
    run bash -c 'flag --budget 3 "$1" 2>/dev/null | cut -d, -f1,10 | tail -n +2 | tr "\n" " "' _ "$T/s.ts"
    [ "$output" = "1,0.400000 0,0.500000 2,0.900000 " ]
    run bash -c 'flag --score margin --budget 3 "$1" 2>/dev/null | cut -d, -f1,10 | tail -n +2 | tr "\n" " "' _ "$T/s.ts"
    [ "$output" = "0,0.050000 1,0.100000 2,0.850000 " ]
    run bash -c 'flag --score entropy --budget 3 "$1" 2>/dev/null | cut -d, -f1,10 | tail -n +2 | tr "\n" " "' _ "$T/s.ts"
    [ "$output" = "1,1.088900 0,0.855689 2,0.394398 " ]
    run --separate-stderr flag --score entropy --threshold 0.5 "$T/s.ts"
    [ "${stderr_lines[0]}" = "flag: flagged 2 of 3 records (66.67 %): entropy > 0.5" ]
}

@test "--target-accuracy: threshold chosen on the validation stream, said on stderr" {
    run --separate-stderr flag --target-accuracy 0.75 --calibrate "$T/risk.ts" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "flag: threshold top1 < 0.6 chosen on $T/risk.ts: it flags 2 of 10 validation records (20.00 %) and leaves the rest at accuracy 0.7500 >= 0.75" ]
    [ "${stderr_lines[1]}" = "flag: flagged 2 of 10 records (20.00 %): top1 < 0.6 (chosen on $T/risk.ts)" ]
    [ "$(echo "$output" | cut -d, -f1 | tr '\n' ' ')" = "id 9 8 " ]
}

@test "--calibrate: the validation predictions must have the same number of classes" {
    printf '0 0 0.5 0.3 0.2\n1 1 0.1 0.8 0.1\n2 2 0.2 0.2 0.6\n' | python3 "$MK" --classes 3 >"$T/cal3.ts"
    run --separate-stderr -1 flag --target-accuracy 0.5 --score entropy --calibrate "$T/cal3.ts" "$T/risk.ts"
    [ "$stderr" = "flag: $T/cal3.ts: 3 scores per record, but $T/risk.ts has 2 (not the same model?)" ]
    [ -z "$output" ]
}

@test "--calibrate needs labels; labels-free input has no true_* columns" {
    sed 's/^\([0-9]*\) [01] /\1 -1 /' "$FIX/flag-risk.txt" | python3 "$MK" --classes 2 >"$T/nolab.ts"
    run --separate-stderr -1 flag --target-accuracy 0.9 --calibrate "$T/nolab.ts" "$T/risk.ts"
    [ "$stderr" = "flag: $T/nolab.ts: no true labels (--calibrate needs labelled predictions)" ]
    [ -z "$output" ]
    run --separate-stderr flag --budget 1 "$T/nolab.ts"
    [ "$output" = "id,predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,reviewer_label
9,0,class 0,0.510000,1,class 1,0.490000,0.510000,," ]
    [ "$stderr" = "flag: flagged 1 of 10 records (10.00 %): budget 1, the 1 least confident by top1 (top1 <= 0.51)" ]
}

@test "RFC 4180 quoting: a class name with a comma and quotes" {
    run --separate-stderr flag --budget 1 --class-names "$FIX/flag-quote.names" "$T/risk.ts"
    [ "${lines[1]}" = '9,0,"Shirt, ""casual""",0,"Shirt, ""casual""",0.510000,1,Trouser,0.490000,0.510000,,' ]
    # and Python's csv module reads it back as 12 fields
    run bash -c 'flag --budget 1 --class-names "$1" "$2" 2>/dev/null | python3 -c "import csv,sys; r=list(csv.reader(sys.stdin)); print(len(r[1]), r[1][2])"' _ "$FIX/flag-quote.names" "$T/risk.ts"
    [ "$output" = '12 Shirt, "casual"' ]
}

@test "thumbnails: one enlarged PNG per flagged record, paths relative to the CSV, an HTML sheet" {
    images 10 >"$T/img.ts"
    # no mkdir: --thumbs makes rep/ and rep/thumbs, as in docs/review.md's example
    run --separate-stderr flag --budget 3 --images "$T/img.ts" --thumbs "$T/rep/thumbs" --html "$T/rep/review.html" -o "$T/rep/review.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(ls "$T/rep/thumbs" | tr '\n' ' ')" = "id-000007.png id-000008.png id-000009.png " ]
    # 28x28 enlarged 4 times: IHDR width and height 112
    [ "$(od -An -j16 -N8 -t x1 "$T/rep/thumbs/id-000009.png" | tr -d ' ')" = "0000007000000070" ]
    [ "$(cut -d, -f1,11 "$T/rep/review.csv" | tail -n +2 | tr '\n' ' ')" = "9,thumbs/id-000009.png 8,thumbs/id-000008.png 7,thumbs/id-000007.png " ]
    # the labelling page carries its images: one PNG data: URI per flagged record, no paths
    [ "$(grep -o '"img": "data:image/png;base64,iVBORw0KGgo' "$T/rep/review.html" | wc -l)" -eq 3 ]
    ! grep -q 'thumbs/' "$T/rep/review.html"
    # the same thumbnails as seen from another directory
    run --separate-stderr flag --budget 1 --images "$T/img.ts" --thumbs "$T/rep/thumbs" "$T/risk.ts"
    [ "$(echo "${lines[1]}" | cut -d, -f11)" = "$(realpath --relative-to=. "$T/rep/thumbs")/id-000009.png" ]
}

@test "thumbnails: a flagged id missing from the images, or images of other data, is an error" {
    images 5 >"$T/img5.ts"
    run --separate-stderr -1 flag --budget 3 --images "$T/img5.ts" --thumbs "$T/th" -o "$T/out.csv" "$T/risk.ts"
    [ "$stderr" = "flag: $T/img5.ts: no image for flagged id 7" ]
    [ ! -e "$T/out.csv" ]
    [ ! -e "$T/th" ] # nothing written before every image was found
    # an output that cannot be created fails before any thumbnail is written
    images 10 >"$T/img10.ts"
    run --separate-stderr -1 flag --budget 3 --images "$T/img10.ts" --thumbs "$T/th" -o "$T/nodir/r.csv" "$T/risk.ts"
    [[ "$stderr" == "flag: $T/nodir/r.csv: cannot create: "* ]]
    [ ! -e "$T/th" ]
    run --separate-stderr -1 flag --budget 3 --images "$T/img10.ts" --thumbs "$T/th" --html "$T/nodir/r.html" "$T/risk.ts"
    [ ! -e "$T/th" ]
    # the whole image stream is read and checked, not only up to the last flagged image
    images 12 | head -c -100 >"$T/img12cut.ts"
    run --separate-stderr -1 flag --budget 3 --images "$T/img12cut.ts" --thumbs "$T/th" -o "$T/out.csv" "$T/risk.ts"
    [[ "$stderr" == "flag: $T/img12cut.ts: record 12: truncated"* ]]
    [ ! -e "$T/out.csv" ]
    [ ! -e "$T/th" ]
    # so a writer upstream is never cut off by a closed pipe
    # (500 images: more than a pipe holds, so a reader that stops early would kill csv2tensor)
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f2- >"$T/img500.csv"
    run bash -c 'set -o pipefail; csv2tensor -L "$1" | flag --budget 1 --images - --thumbs "$2" "$3" >/dev/null 2>&1; echo $?' _ \
        "$T/img500.csv" "$T/th2" "$T/risk.ts"
    [ "$output" = "0" ]
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | sed -n 2,11p | csv2tensor >"$T/lab.ts"
    run --separate-stderr -1 flag --budget 3 --images "$T/lab.ts" --thumbs "$T/th" "$T/risk.ts"
    [[ "$stderr" == "flag: $T/lab.ts: record 8: id 7 has label "*", the predictions say 1 (not the same data?)" ]]
    [ -z "$output" ]
    [ ! -e "$T/th" ]
}

@test "bad input: not a prediction stream, not probabilities, duplicate ids, truncated" {
    images 3 >"$T/img.ts"
    run --separate-stderr -1 flag --budget 1 "$T/img.ts"
    [ "$stderr" = "flag: $T/img.ts: not a prediction stream (28x28x1 u8; expected f32 class probabilities, as predict writes)" ]
    printf '0 0 0.5 0.5\n1 0 0.5 0.6\n' | python3 "$MK" --classes 2 >"$T/bad.ts"
    run --separate-stderr -1 flag --budget 1 "$T/bad.ts"
    [ "$stderr" = "flag: $T/bad.ts: record 2: not probabilities (values in 0..1; sum 1.1)" ]
    printf '0 0 0.5 0.5\n1 0 0.5 0.5\n0 1 0.5 0.5\n' | python3 "$MK" --classes 2 >"$T/dup.ts"
    run --separate-stderr -1 flag --budget 1 "$T/dup.ts"
    [ "$stderr" = "flag: $T/dup.ts: record 3: duplicate id 0 (also record 1)" ]
    head -c 100 "$T/risk.ts" >"$T/trunc.ts"
    run --separate-stderr -1 flag --budget 1 - <"$T/trunc.ts"
    [[ "$stderr" == "flag: <stdin>: "* ]]
    [ -z "$output" ]
}

@test "output errors: /dev/full fails loudly; -o never overwrites the input" {
    run --separate-stderr -1 bash -c 'flag --budget 3 "$1" >/dev/full' _ "$T/risk.ts"
    [[ "$stderr" == *"flag: write error on <stdout>: No space left on device"* ]]
    cp "$T/risk.ts" "$T/keep.ts"
    run --separate-stderr -1 flag --budget 3 -o "$T/keep.ts" "$T/keep.ts"
    [ "$stderr" = "flag: $T/keep.ts: refusing to overwrite an input" ]
    cmp "$T/risk.ts" "$T/keep.ts"
}

# ---- the risk-coverage report ----------------------------------------------------

@test "--report --csv: the budget table, computed by hand (see flag-risk.txt)" {
    run --separate-stderr flag --report --csv --budgets 0,10,20,50 --reviewer-accuracy 0.8 "$T/risk.ts"
    [ "$status" -eq 0 ]
    # 10%: flag id 9 (right): auto 6/9, caught 0/3, perfect (6+1)/10, reviewer (6+0.8)/10;
    #      random: auto 0.7, caught 1/10, perfect (0.7*9+1)/10, reviewer (6.3+0.8)/10
    # 20%: flag ids 9, 8 (8 wrong): auto 6/8, caught 1/3, perfect 8/10, reviewer 7.6/10
    # 50%: flag ids 9..5 (8, 5 wrong): auto 4/5, caught 2/3, perfect 9/10, reviewer 8/10
    [ "$output" = "budget_pct,flagged,auto_accuracy,errors_caught,system_perfect,system_reviewer,random_auto_accuracy,random_errors_caught,random_system_perfect,random_system_reviewer
0,0,0.700000,0.000000,0.700000,0.700000,0.700000,0.000000,0.700000,0.700000
10,1,0.666667,0.000000,0.700000,0.680000,0.700000,0.100000,0.730000,0.710000
20,2,0.750000,0.333333,0.800000,0.760000,0.700000,0.200000,0.760000,0.720000
50,5,0.800000,0.666667,0.900000,0.800000,0.700000,0.500000,0.850000,0.750000" ]
    [ -z "$stderr" ]
}

@test "--report: AURC by hand; text and JSON forms" {
    # most confident first: right right WRONG right right WRONG right right WRONG right
    # risks 0 0 1/3 1/4 1/5 2/6 2/7 2/8 3/9 3/10 -> mean 0.228571; random 0.3;
    # oracle (errors last): (1/8 + 2/9 + 3/10) / 10 = 0.064722
    run flag --report "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "risk-coverage on $T/risk.ts: 10 records, 3 errors, model accuracy 70.00 %" ]
    [[ "$output" == *"  top1     0.228571"* ]]
    [[ "$output" == *"  random   0.300000 (the error rate)"* ]]
    [[ "$output" == *"  oracle   0.064722 (every error last: the best possible)"* ]]
    [[ "$output" == *"  10 %       1   66.67 %   0.0 %  70.00 %  68.35 %    70.00 %  10.0 %  73.00 %  71.35 %"* ]]
    run bash -c 'flag --report --json "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"aurc\"][\"top1\"], d[\"budgets\"][3][\"flagged\"], d[\"reviewer_accuracy\"])"' _ "$T/risk.ts"
    [ "$output" = "0.228571 1 0.835" ]
}

@test "--report needs labels" {
    sed 's/^\([0-9]*\) [01] /\1 -1 /' "$FIX/flag-risk.txt" | python3 "$MK" --classes 2 >"$T/nolab.ts"
    run --separate-stderr -1 flag --report "$T/nolab.ts"
    [ "$stderr" = "flag: $T/nolab.ts: no true labels (--report needs labelled predictions)" ]
    [ -z "$output" ]
}


@test "class names: blank lines after the last name are fine; a name after them is one too many" {
    printf 'coat\nshoe\n\n\n' > "$T/names"
    run --separate-stderr flag --budget 1 -n "$T/names" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [[ "${lines[1]}" == *",coat,"* || "${lines[1]}" == *",shoe,"* ]]
    printf 'coat\nshoe\n\nbag\n' > "$T/names"
    run --separate-stderr -1 flag --budget 1 -n "$T/names" "$T/risk.ts"
    [ "$stderr" = "flag: $T/names: line 4: more than 2 class names" ]
}

@test "--html without --thumbs: a self-contained page; its data is the CSV's rows; an empty sheet too" {
    images 10 >"$T/img.ts"
    run --separate-stderr flag --budget 3 --images "$T/img.ts" --html "$T/page.html" -o "$T/r.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ ! -e "$T/thumbs" ]
    # the JSON block, read the way the page reads it: flag's CSV rows without the true labels
    run python3 -c '
import json, re, sys
html = open(sys.argv[1]).read()
d = json.loads(re.search(r"<script type=\"application/json\" id=\"sheet\">(.*?)</script>", html, re.S).group(1))
print(d["header"]); print(d["classes"], d["rule"], d["source"])
for r in d["records"]: print(r["id"], r["row"], r["guess"], "label" in r, r["img"][:22])
print(re.fullmatch(r"fm-review-[0-9a-f]{16}", d["key"]) is not None)' "$T/page.html"
    [ "$output" = "id,predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,reviewer_label
['class 0', 'class 1'] budget 3, the 3 least confident by top1 (top1 <= 0.6) $T/risk.ts
9 9,0,class 0,0.510000,1,class 1,0.490000,0.510000,, [[0, 0.51], [1, 0.49]] False data:image/png;base64,
8 8,0,class 0,0.550000,1,class 1,0.450000,0.550000,, [[0, 0.55], [1, 0.45]] False data:image/png;base64,
7 7,1,class 1,0.600000,0,class 0,0.400000,0.600000,, [[1, 0.6], [0, 0.4]] False data:image/png;base64,
True" ]
    # the key comes from the content: the same sheet again gets the same key, another sheet another
    flag --budget 3 --images "$T/img.ts" --html "$T/again.html" "$T/risk.ts" >/dev/null 2>&1
    flag --budget 2 --images "$T/img.ts" --html "$T/other.html" "$T/risk.ts" >/dev/null 2>&1
    key() { grep -o '"key": "fm-review-[0-9a-f]*"' "$1"; }
    [ "$(key "$T/page.html")" = "$(key "$T/again.html")" ]
    [ "$(key "$T/page.html")" != "$(key "$T/other.html")" ]
    run --separate-stderr flag --budget 0 --images "$T/img.ts" --html "$T/none.html" "$T/risk.ts"
    [ "$status" -eq 0 ]
    grep -q '^"records": \[$' "$T/none.html"
}

@test "-o - is stdout; --html - only when the CSV goes to a file" {
    cd "$T"
    run --separate-stderr flag --budget 3 -o - "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$(flag --budget 3 "$T/risk.ts" 2>/dev/null)" ]
    [ ! -e "$T/-" ]
    images 10 > "$T/img.ts"
    run --separate-stderr -2 flag --budget 3 --images "$T/img.ts" --thumbs th --html - "$T/risk.ts"
    [ "${stderr_lines[0]}" = "flag: --html -: stdout gets the CSV; send that to a file with -o FILE" ]
}
