#!/usr/bin/env bats
# merge: a reviewed sheet back onto the predictions; every validation error.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    # flag-risk.txt: 10 records, 2 classes, errors at ids 2, 5, 8; accuracy 0.7
    python3 "$FIX/flag-mkpreds.py" --classes 2 <"$FIX/flag-risk.txt" >"$T/risk.ts"
    # the sheet for the 3 least confident: ids 9, 8, 7 on lines 2, 3, 4
    flag --budget 3 "$T/risk.ts" 2>/dev/null >"$T/sheet.csv"
    # reviewed: id 9 blank (accept), id 8 corrected to 1 by number, id 7 confirmed by name
    sed '3s/,$/,1/; 4s/,$/,class 1/' "$T/sheet.csv" >"$T/rev.csv"
}

FINAL="id,final_label,final_name,source
0,0,class 0,model
1,1,class 1,model
2,0,class 0,model
3,0,class 0,model
4,1,class 1,model
5,1,class 1,model
6,0,class 0,model
7,1,class 1,reviewer
8,1,class 1,reviewer
9,0,class 0,model"

@test "--help, --version; usage errors write nothing to stdout" {
    run merge --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: merge [OPTION]... --reviews REVIEWED [PREDICTIONS]" ]
    run merge --version
    [[ "$output" == "merge (fashion-mnist filters) "* ]]
    run --separate-stderr -2 merge "$T/risk.ts"
    [ "${stderr_lines[0]}" = "merge: --reviews FILE is required (the reviewed sheet)" ]
    [ -z "$output" ]
    run --separate-stderr -2 merge --reviews - -
    [ "${stderr_lines[0]}" = "merge: only one of the reviews, the predictions and the images can come from stdin" ]
    run --separate-stderr -2 merge --reviews "$T/rev.csv" --images "$T/risk.ts" "$T/risk.ts"
    [ "${stderr_lines[0]}" = "merge: --emit-stream FILE and --images FILE go together" ]
}

@test "final labels for every record: blank = model, number or name = reviewer; report on stderr" {
    run --separate-stderr merge --reviews "$T/rev.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    [ "${stderr_lines[0]}" = "merge: 3 of 10 records on the sheet: 2 reviewed (1 agreed with the model, 1 changed its answer), 1 left blank and 0 marked unsure (not reviewed: the model's answer kept)" ]
    [ "${stderr_lines[1]}" = "merge: corrections by class:  class     from     to" ]
    [ "${stderr_lines[2]}" = "merge:                        class 0      1      0" ]
    [ "${stderr_lines[3]}" = "merge:                        class 1      0      1" ]
    [ "${stderr_lines[4]}" = "merge: most frequent corrections: class 0 -> class 1 (1)" ]
    [ "${stderr_lines[5]}" = "merge: accuracy 70.00 % (model) -> 80.00 % (after review) on 10 labelled records; reviewed records right after review: 2 of 2 (100.00 %)" ]
}

@test "-o writes atomically; predictions from stdin; an untouched sheet changes nothing" {
    run --separate-stderr merge --reviews "$T/rev.csv" -o "$T/final.csv" - <"$T/risk.ts"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    [ "$(cat "$T/final.csv")" = "$FINAL" ]
    run --separate-stderr merge --reviews "$T/sheet.csv" "$T/risk.ts"
    [ "$(echo "$output" | grep -c ',reviewer$')" -eq 0 ]
    [ "${stderr_lines[0]}" = "merge: 3 of 10 records on the sheet: 0 reviewed (0 agreed with the model, 0 changed its answer), 3 left blank and 0 marked unsure (not reviewed: the model's answer kept)" ]
    [ "${stderr_lines[1]}" = "merge: no row has a reviewer label: blank means not reviewed (write ok where the model is right, else the right class)" ]
    [ "${stderr_lines[2]}" = "merge: accuracy 70.00 % (model) -> 70.00 % (after review) on 10 labelled records" ]
}

@test "a sheet saved by a spreadsheet: BOM, CRLF, columns reordered or dropped, names in any case" {
    python3 - "$T/rev.csv" "$T/excel.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
order = [11, 0, 3, 4, 10]  # reviewer_label first; only id, predicted, predicted_name, image kept
out = open(sys.argv[2], "w", newline="", encoding="utf-8-sig")
w = csv.writer(out, lineterminator="\r\n")
for r in rows:
    w.writerow([r[i].upper() if i == 11 and r is not rows[0] else r[i] for i in order])
PY
    [ "$(head -c 3 "$T/excel.csv" | od -An -t x1 | tr -d ' ')" = "efbbbf" ]
    run --separate-stderr merge --reviews "$T/excel.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
}

@test "quoted class names survive the round trip" {
    flag --budget 3 --class-names "$FIX/flag-quote.names" "$T/risk.ts" 2>/dev/null |
        sed '3s/,$/,Trouser/' >"$T/q.csv"
    run --separate-stderr merge --class-names "$FIX/flag-quote.names" --reviews "$T/q.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = '0,0,"Shirt, ""casual""",model' ]
    [ "${lines[9]}" = "8,1,Trouser,reviewer" ]
    # without the names the sheet's name columns do not match
    run --separate-stderr -1 merge --reviews "$T/q.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/q.csv: line 2: id 9: predicted_name is 'Shirt, \"casual\"' but the class names say 'class 0' (flag had other class names: see --class-names)" ]
}

# ---- every error, with its exact message; no output on error ----------------------

@test "error: unknown id" {
    sed '2s/^9,/99,/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" -o "$T/out.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 2: unknown id 99 (not in the predictions)" ]
    [ ! -e "$T/out.csv" ]
}

@test "error: duplicate id" {
    { cat "$T/rev.csv"; sed -n 2p "$T/rev.csv"; } >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 5: duplicate id 9 (also on line 2)" ]
    [ -z "$output" ]
}

@test "error: a reviewer label outside the class list (number or name)" {
    sed '2s/,$/,7/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 2: id 9: reviewer label '7' is not a class (0..1 or a class name), 'ok' or 'unsure'" ]
    sed '2s/,$/,Shrt/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 2: id 9: reviewer label 'Shrt' is not a class (0..1 or a class name), 'ok' or 'unsure'" ]
}

@test "error: rows edited out of place (ids sorted apart from their cells)" {
    # the id column sorted on its own: 9 8 7 -> 7 8 9
    awk -F, -v OFS=, 'NR==2{$1=7} NR==4{$1=9} {print}' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 2: id 7: predicted is '0' but the predictions say '1' (row edited or moved?)" ]
    # a true label edited
    awk -F, -v OFS=, 'NR==3{$2=0} {print}' "$T/rev.csv" >"$T/bad2.csv"
    run --separate-stderr -1 merge --reviews "$T/bad2.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad2.csv: line 3: id 8: true_label is '0' but the predictions say '1' (row edited or moved?)" ]
}

@test "error: a header that does not match" {
    sed '1s/reviewer_label/reviewer/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 1: no 'reviewer_label' column (not a review sheet from flag?)" ]
    cut -d, -f1-11 "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 1: no 'reviewer_label' column (not a review sheet from flag?)" ]
    sed '1s/^id,true_label/id,id/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 1: column 'id' appears twice" ]
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -3 >"$T/images.csv"
    run --separate-stderr -1 merge --reviews "$T/images.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/images.csv: line 1: no 'id' column (not a review sheet from flag?)" ]
}

@test "error: a row with a field too many or too few; a bad id; malformed CSV; empty file" {
    sed '3s/,$/,1,extra/' "$T/sheet.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 3: 13 fields, the header has 12" ]
    sed '4s/,$//' "$T/sheet.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 4: 11 fields, the header has 12" ]
    sed '3s/^8,/8a,/' "$T/rev.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 3: id '8a' is not a record id" ]
    sed '3s/,$/,"Shirt/' "$T/sheet.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 3: unterminated quoted field (runs to the end of the file)" ]
    sed '3s/,$/,Sh"irt/' "$T/sheet.csv" >"$T/bad.csv"
    run --separate-stderr -1 merge --reviews "$T/bad.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/bad.csv: line 3: malformed CSV (stray or unterminated quote)" ]
    : >"$T/empty.csv"
    run --separate-stderr -1 merge --reviews "$T/empty.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/empty.csv: empty file (no header row)" ]
    run --separate-stderr -1 merge --reviews "$T/missing.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/missing.csv: No such file or directory" ]
}

@test "a sheet from other predictions: unknown ids; -o never overwrites an input; /dev/full" {
    run --separate-stderr -1 merge --reviews "$T/rev.csv" -o "$T/rev.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/rev.csv: refusing to overwrite an input" ]
    run --separate-stderr -1 bash -c 'merge --reviews "$1" "$2" >/dev/full' _ "$T/rev.csv" "$T/risk.ts"
    [[ "$stderr" == *"merge: write error on <stdout>: No space left on device"* ]]
}

@test "-o - is stdout, as with no -o; no file named '-' appears" {
    cd "$T"
    run --separate-stderr merge --reviews "$T/rev.csv" -o - "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    [ ! -e "$T/-" ]
}

# ---- what spreadsheets and people do to a sheet: forgiven, or the real cause named -------

@test "columns flag did not write (notes, pandas' index, a trailing empty one): ignored, one warning" {
    awk -v OFS=, 'NR == 1 { print "", $0, "notes", ""; next } { print NR - 2, $0, "looked twice", "" }' "$T/rev.csv" >"$T/extra.csv"
    run --separate-stderr merge --reviews "$T/extra.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    [ "${stderr_lines[0]}" = "merge: $T/extra.csv: line 1: ignoring 3 columns that flag did not write: '', 'notes', ''" ]
    [[ "${stderr_lines[1]}" == "merge: 3 of 10 records on the sheet: 2 reviewed "* ]]
}

@test "rows of nothing but separators, and blank lines, are skipped, before the header too" {
    { echo ',,,'; sed -n 1,2p "$T/rev.csv"; echo ',,,,,,,,,,,'; echo; echo ' , ,'; sed -n '3,$p' "$T/rev.csv"; echo ',,'; } >"$T/gaps.csv"
    run --separate-stderr merge --reviews "$T/gaps.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    [ "${stderr_lines[0]}" = "merge: 3 of 10 records on the sheet: 2 reviewed (1 agreed with the model, 1 changed its answer), 1 left blank and 0 marked unsure (not reviewed: the model's answer kept)" ]
}

@test "header names in any case, with spaces around them" {
    sed '1s/^id,/ Id ,/; 1s/,predicted,/,PREDICTED,/; 1s/reviewer_label$/Reviewer_Label /' "$T/rev.csv" >"$T/case.csv"
    run --separate-stderr merge --reviews "$T/case.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
}

@test "';' with decimal commas (German or French Excel) and tab separators are detected" {
    tr , ';' <"$T/rev.csv" | sed 's/0\.\([0-9]*\)/0,\1/g' >"$T/semi.csv"
    grep -q '^9;0;class 0;0;class 0;0,510000;' "$T/semi.csv"
    run --separate-stderr merge --reviews "$T/semi.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    tr , '\t' <"$T/rev.csv" >"$T/tab.csv"
    run --separate-stderr merge --reviews "$T/tab.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    # probabilities a spreadsheet shows (and saves) rounded still match
    sed 's/0\.510000/0.51/; s/0\.550000/0.6/' "$T/rev.csv" >"$T/round.csv"
    run --separate-stderr merge --reviews "$T/round.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
}

@test "labels as pandas and people write them: 1.0, CLASS 1, t-shirt, Ankle boots" {
    sed '3s/,1$/,1.0/; 4s/,class 1$/,CLASS 1/' "$T/rev.csv" >"$T/num.csv"
    run --separate-stderr merge --reviews "$T/num.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$output" = "$FINAL" ]
    printf 'T-shirt/top\nAnkle boot\n' >"$T/fm.names"
    flag --budget 3 --class-names "$T/fm.names" "$T/risk.ts" 2>/dev/null |
        sed '2s/,$/,t-shirt/; 3s/,$/,Ankle boots/; 4s/,$/,1.00/' >"$T/names.csv"
    run --separate-stderr merge --class-names "$T/fm.names" --reviews "$T/names.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "${lines[8]}" = "7,1,Ankle boot,reviewer" ]
    [ "${lines[9]}" = "8,1,Ankle boot,reviewer" ]
    [ "${lines[10]}" = "9,0,T-shirt/top,reviewer" ]
    [ "${stderr_lines[0]}" = "merge: 3 of 10 records on the sheet: 3 reviewed (2 agreed with the model, 1 changed its answer), 0 left blank and 0 marked unsure (not reviewed: the model's answer kept)" ]
}

@test "reviewer intent: ok and = confirm, ? and unsure keep the model's answer, blank is not reviewed" {
    # ids 9 8 7 6 5 4 on lines 2..7; the model says 0 0 1 0 1 1
    flag --budget 6 "$T/risk.ts" 2>/dev/null | sed '2s/,$/,ok/; 3s/,$/, = /; 4s/,$/,?/; 5s/,$/,Unsure/; 7s/,$/,0/' >"$T/intent.csv"
    run --separate-stderr merge --reviews "$T/intent.csv" "$T/risk.ts"
    [ "$status" -eq 0 ]
    [ "$(printf '%s\n' "${lines[@]:5}")" = "4,0,class 0,reviewer
5,1,class 1,model
6,0,class 0,model
7,1,class 1,model
8,0,class 0,reviewer
9,0,class 0,reviewer" ]
    [ "${stderr_lines[0]}" = "merge: 6 of 10 records on the sheet: 3 reviewed (2 agreed with the model, 1 changed its answer), 1 left blank and 2 marked unsure (not reviewed: the model's answer kept)" ]
    [ "${stderr_lines[-1]}" = "merge: accuracy 70.00 % (model) -> 60.00 % (after review) on 10 labelled records; reviewed records right after review: 1 of 3 (33.33 %)" ]
}

@test "UTF-16 and Windows-1252 files: named, with 'save as CSV UTF-8'" {
    iconv -f UTF-8 -t UTF-16 "$T/rev.csv" >"$T/u16.csv"
    run --separate-stderr -1 merge --reviews "$T/u16.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/u16.csv: UTF-16 text, not UTF-8: save as CSV UTF-8" ]
    iconv -f UTF-8 -t UTF-16LE "$T/rev.csv" >"$T/u16le.csv"
    run --separate-stderr -1 merge --reviews "$T/u16le.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/u16le.csv: UTF-16 text, not UTF-8: save as CSV UTF-8" ]
    awk -v OFS=, '{ print $0, (NR == 1 ? "notes" : NR == 3 ? "caf\351" : "") }' "$T/rev.csv" >"$T/cp1252.csv"
    run --separate-stderr -1 merge --reviews "$T/cp1252.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/cp1252.csv: line 3: not UTF-8 (byte 0xe9; Windows-1252 text?): save as CSV UTF-8" ]
}

@test "a sheet made from other predictions (another model, --tta) is named as such" {
    # the same records, probabilities moved a little: a sheet row agrees with none of them
    awk '!/^#/ && NF >= 4 { p = $3 * 0.8 + 0.1; print $1, $2, p, 1 - p }' "$FIX/flag-risk.txt" |
        python3 "$FIX/flag-mkpreds.py" --classes 2 >"$T/other.ts"
    run --separate-stderr -1 merge --reviews "$T/rev.csv" -o "$T/out.csv" "$T/other.ts"
    [ "$stderr" = "merge: $T/rev.csv: these are not the predictions the sheet was made from (another model, or --tta?): the first 3 rows all disagree (line 2: id 9: probability is '0.510000' but the predictions say '0.508000')" ]
    [ ! -e "$T/out.csv" ]
    # one row changed among agreeing ones is still an edited row
    sed '3s/0\.550000/0.450000/' "$T/rev.csv" >"$T/edited.csv"
    run --separate-stderr -1 merge --reviews "$T/edited.csv" "$T/risk.ts"
    [ "$stderr" = "merge: $T/edited.csv: line 3: id 8: probability is '0.450000' but the predictions say '0.550000' (row edited or moved?)" ]
}
