#!/usr/bin/env bats
# flag --xlsx (the review sheet as a workbook with pictures) and merge reading .xlsx,
# by itself and after a real LibreOffice has opened and saved the workbook.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    FILL=$TOP/tests/tools/xlsx-fill.py
    csv2tensor "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$T/img.ts"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f1 | awk '{ print NR - 1, $1 }' |
        python3 "$FIX/flag-mkpreds.py" --simulate 7 >"$T/test.preds"
    flag --budget 5 --images "$T/img.ts" --xlsx "$T/r.xlsx" -o "$T/r.csv" "$T/test.preds" 2>/dev/null
    # the reviewer's answers, in the workbook (column C, rows 2..6) and in the same CSV:
    # ok, a name, a number, unsure, one left blank
    python3 "$FILL" "$T/r.xlsx" "$T/filled.xlsx" C2=ok C3=Shirt 'C4=#3' C5=unsure
    sed '2s/,$/,ok/; 3s/,$/,Shirt/; 4s/,$/,3/; 5s/,$/,unsure/' "$T/r.csv" >"$T/filled.csv"
    merge --reviews "$T/filled.csv" -o "$T/want.csv" "$T/test.preds" 2>"$T/want.err"
    id() { sed -n "$1p" "$T/r.csv" | cut -d, -f1; }
}

@test "flag --xlsx: pictures in the rows, a drop-down of the classes, frozen header, a classes sheet" {
    run --separate-stderr flag --budget 10% --images "$T/img.ts" --xlsx "$T/w.xlsx" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | tail -n +2 | wc -l)" -eq 50 ]
    [ "$(unzip -Z1 "$T/w.xlsx" | grep -c '^xl/media/image[0-9]*\.png$')" -eq 50 ]
    unzip -p "$T/w.xlsx" xl/workbook.xml | grep -q '<sheet name="review" sheetId="1" r:id="rId1"/><sheet name="classes" sheetId="2" r:id="rId2"/>'
    sheet=$(unzip -p "$T/w.xlsx" xl/worksheets/sheet1.xml)
    [[ "$sheet" == *'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'* ]] || false
    [[ "$sheet" == *'<dataValidation type="list" errorStyle="information" '*'sqref="C2:C51"><formula1>"T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot,ok,unsure"</formula1>'* ]] || false
    [[ "$sheet" == *'<col min="2" max="2" width="17.5703125" customWidth="1"/>'* ]] || false
    # the pictures: 112 x 112 (28 x --thumb-scale 4), anchored to the rows so that sorting takes them along
    drawing=$(unzip -p "$T/w.xlsx" xl/drawings/drawing1.xml)
    [ "$(grep -o '<xdr:twoCellAnchor editAs="oneCell">' <<<"$drawing" | wc -l)" -eq 50 ] ||
        [ "$(grep -o '<xdr:twoCellAnchor>' <<<"$drawing" | wc -l)" -eq 50 ]
    python3 - "$T/w.xlsx" <<'PY'
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
png = z.read("xl/media/image1.png")
assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert struct.unpack(">II", png[16:24]) == (112, 112), struct.unpack(">II", png[16:24])
PY
    # the classes sheet: the drop-down's list, with ok and unsure
    strings=$(unzip -p "$T/w.xlsx" xl/sharedStrings.xml)
    for s in "T-shirt/top" "Ankle boot" ok unsure "How to review"; do [[ "$strings" == *"<t>$s</t>"* ]] || false; done
    # a class name that Excel's list cannot hold (a comma): no drop-down; the classes sheet lists it
    printf '%s\n' T-shirt/top Trouser Pullover Dress Coat Sandal 'Shirt, casual' Sneaker Bag 'Ankle boot' >"$T/q.names"
    flag --budget 3 --class-names "$T/q.names" --images "$T/img.ts" --xlsx "$T/q.xlsx" "$T/test.preds" 2>/dev/null >/dev/null
    [[ "$(unzip -p "$T/q.xlsx" xl/worksheets/sheet1.xml)" != *'<dataValidation'* ]] || false
    [[ "$(unzip -p "$T/q.xlsx" xl/sharedStrings.xml)" == *'<t>Shirt, casual</t>'* ]] || false
    # untouched, it is a sheet with nothing reviewed
    run --separate-stderr merge --reviews "$T/w.xlsx" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "merge: 50 of 500 records on the sheet: 0 reviewed (0 agreed with the model, 0 changed its answer), 50 left blank and 0 marked unsure (not reviewed: the model's answer kept)" ]
}

@test "flag --xlsx: usage errors; a failure leaves no workbook and no temporary file" {
    run --separate-stderr -2 flag --budget 5 --xlsx "$T/w.xlsx" "$T/test.preds"
    [ "${stderr_lines[0]}" = "flag: --xlsx needs --images (the image stream the predictions came from)" ]
    run --separate-stderr -2 flag --report --xlsx "$T/w.xlsx" "$T/test.preds"
    [ "${stderr_lines[0]}" = "flag: --report writes no review sheet (no --xlsx)" ]
    run --separate-stderr -1 flag --budget 5 --images "$T/img.ts" --xlsx - "$T/test.preds"
    [ "$stderr" = "flag: -: an .xlsx workbook must go to a regular file (not stdout or a device)" ]
    run --separate-stderr -1 flag --budget 5 --images "$T/img.ts" --xlsx "$T/test.preds" "$T/test.preds"
    [ "$stderr" = "flag: $T/test.preds: refusing to overwrite an input" ]
    run --separate-stderr -1 flag --budget 5 --images "$T/img.ts" --xlsx "$T/none/w.xlsx" "$T/test.preds"
    [[ "$stderr" == "flag: $T/none/w.xlsx: cannot create: No such file or directory" ]]
    # images cut short: nothing is written
    head -c 100000 "$T/img.ts" >"$T/short.ts"
    run --separate-stderr -1 flag --budget 5 --images "$T/short.ts" --xlsx "$T/w.xlsx" -o "$T/w.csv" "$T/test.preds"
    [[ "$stderr" == "flag: $T/short.ts: "* ]]
    [ ! -e "$T/w.xlsx" ]
    [ ! -e "$T/w.csv" ]
    [ -z "$(ls "$T" | grep '\.tmp\.')" ]
}

@test "merge reads a filled workbook (inline strings, a number) as it reads the same CSV" {
    run --separate-stderr merge --reviews "$T/filled.xlsx" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$T/want.csv")" ]
    [ "$stderr" = "$(cat "$T/want.err")" ]
    [ "$(grep -c ',reviewer$' "$T/want.csv")" -eq 3 ]
    grep -qx "$(id 3),6,Shirt,reviewer" "$T/want.csv"
    grep -qx "$(id 4),3,Dress,reviewer" "$T/want.csv"
    grep -q "^$(id 5),.*,model$" "$T/want.csv"
    [[ "${stderr_lines[0]}" == "merge: 5 of 500 records on the sheet: 3 reviewed "*", 1 left blank and 1 marked unsure (not reviewed: the model's answer kept)" ]] || false
    # a sheet moved out of place is caught as in a CSV, with the row named
    python3 "$FILL" "$T/r.xlsx" "$T/moved.xlsx" 'A2=#99999'
    run --separate-stderr -1 merge --reviews "$T/moved.xlsx" "$T/test.preds"
    [ "$stderr" = "merge: $T/moved.xlsx: row 2: unknown id 99999 (not in the predictions)" ]
    python3 "$FILL" "$T/r.xlsx" "$T/bad.xlsx" C3=Shrt
    run --separate-stderr -1 merge --reviews "$T/bad.xlsx" "$T/test.preds"
    [ "$stderr" = "merge: $T/bad.xlsx: row 3: id $(id 3): reviewer label 'Shrt' is not a class (0..9 or a class name), 'ok' or 'unsure'" ]
}

@test "merge: an .xls, an .ods, a zip that is no workbook, a damaged workbook are named as such" {
    printf '\320\317\021\340\241\261\032\341rest' >"$T/old.xls"
    run --separate-stderr -1 merge --reviews "$T/old.xls" "$T/test.preds"
    [ "$stderr" = "merge: $T/old.xls: an Excel 97-2003 workbook (.xls): save as .xlsx or CSV UTF-8" ]
    python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    z.writestr("content.xml", "<x/>")
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("readme.txt", "hello")' "$T/sheet.ods" "$T/other.zip"
    run --separate-stderr -1 merge --reviews "$T/sheet.ods" "$T/test.preds"
    [ "$stderr" = "merge: $T/sheet.ods: an OpenDocument spreadsheet (.ods), not .xlsx: save as .xlsx or CSV UTF-8" ]
    run --separate-stderr -1 merge --reviews "$T/other.zip" "$T/test.preds"
    [ "$stderr" = "merge: $T/other.zip: a zip archive but not an .xlsx workbook (no xl/workbook.xml)" ]
    head -c $(($(stat -c %s "$T/r.xlsx") / 2)) "$T/r.xlsx" >"$T/cut.xlsx"
    run --separate-stderr -1 merge --reviews "$T/cut.xlsx" "$T/test.preds"
    [ "$stderr" = "merge: $T/cut.xlsx: not a readable .xlsx workbook (zip: Not a zip archive)" ]
}

@test "merge --emit-stream: the reviewed images, labelled with the final labels, in stream order" {
    run --separate-stderr merge --reviews "$T/filled.xlsx" --images "$T/img.ts" --emit-stream "$T/reviewed.ts" -o "$T/final.csv" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "${stderr_lines[0]}" = "merge: $T/reviewed.ts: 3 reviewed images with their final labels" ]
    # ids and labels: the reviewer's rows of final.csv, in id order (the images' order)
    [ "$(tensor2csv --no-header "$T/reviewed.ts" | cut -d, -f1)" = "$(grep ',reviewer$' "$T/final.csv" | cut -d, -f2 | tr '\n' ' ' | sed 's/ $//' | tr ' ' '\n')" ]
    # the pixels are the images' own
    [ "$(tensor2csv --no-header "$T/reviewed.ts" | cut -d, -f2- | md5sum)" = \
      "$(for i in $(grep ',reviewer$' "$T/final.csv" | cut -d, -f1); do zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | sed -n "$((i + 2))p"; done | cut -d, -f2- | md5sum)" ]
    # images that are not those of the predictions
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" | split --head 100 >"$T/other.ts"
    run --separate-stderr -1 merge --reviews "$T/filled.xlsx" --images "$T/other.ts" --emit-stream "$T/x.ts" "$T/test.preds"
    [[ "$stderr" == "merge: $T/other.ts: record "*": id "*" has label "*", the predictions say "*" (not the same data?)" || \
       "$stderr" == "merge: $T/other.ts: no image for reviewed id "*" (not the image stream the predictions came from?)" ]] || false
    [ ! -e "$T/x.ts" ]
}

@test "LibreOffice opens the filled workbook and saves it as .xlsx and as CSV: merge reads both the same" {
    command -v soffice >/dev/null || skip "soffice is not installed (apt-get install libreoffice-calc-nogui)"
    lo() { soffice -env:UserInstallation="file://$T/lo" --headless "$@" >>"$T/lo.log" 2>&1; }
    mkdir "$T/xlsx" "$T/csv"
    lo --convert-to xlsx:"Calc MS Excel 2007 XML" --outdir "$T/xlsx" "$T/filled.xlsx"
    # UTF-8 (76), comma (44), double quotes (34), as LibreOffice's "Save as CSV" offers
    lo --convert-to csv:"Text - txt - csv (StarCalc)":44,34,76,1 --outdir "$T/csv" "$T/filled.xlsx"
    [ -s "$T/xlsx/filled.xlsx" ]
    [ -s "$T/csv/filled.csv" ]
    # LibreOffice wrote its own workbook (shared strings, its own parts), not a copy
    ! cmp -s "$T/filled.xlsx" "$T/xlsx/filled.xlsx"
    unzip -p "$T/xlsx/filled.xlsx" docProps/app.xml | grep -q LibreOffice
    run --separate-stderr merge --reviews "$T/xlsx/filled.xlsx" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$T/want.csv")" ]
    run --separate-stderr merge --reviews "$T/csv/filled.csv" "$T/test.preds"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$T/want.csv")" ]
    [ "$stderr" = "$(cat "$T/want.err")" ]
}
