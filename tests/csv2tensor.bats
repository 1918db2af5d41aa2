#!/usr/bin/env bats
# csv2tensor: Kaggle-layout CSV (plain or gzip) to a tensor stream.
load test_helper

setup() {
    TEST=$SAMPLES/fashion-mnist_test-500.csv.gz
    TRAIN=$SAMPLES/fashion-mnist_train-2000.csv.gz
    TINY=$FIX/tiny-2x2.csv
    T=$BATS_TEST_TMPDIR
}

# One data row of the real test sample (label 9), for bad-input variants.
row() { zcat "$TEST" | sed -n 2p; }

# The header's record count (bytes 24..31) as a decimal number.
count_of() { od -An -j24 -N8 -t u8 "$1" | tr -d ' '; }

# ---- round trips -----------------------------------------------------------

@test "round trip: test sample, gzip read directly" {
    zcat "$TEST" >"$T/test.csv"
    run bash -c 'csv2tensor "$1" | tensor2csv --header | cmp - "$2"' _ "$TEST" "$T/test.csv"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

@test "round trip: train sample, gzip on stdin" {
    run bash -c 'csv2tensor < "$1" | tensor2csv --header | cmp - <(zcat "$1")' _ "$TRAIN"
    [ "$status" -eq 0 ]
}

@test "round trip: plain CSV on stdin with '-'" {
    run bash -c 'zcat "$1" | csv2tensor - | tensor2csv --header | cmp - <(zcat "$1")' _ "$TEST"
    [ "$status" -eq 0 ]
}

@test "stream layout: 32-byte header, 792-byte records, ids 0.., count patched in a file" {
    csv2tensor "$TEST" >"$T/s"
    [ "$(stat -c %s "$T/s")" -eq $((32 + 500 * 792)) ]
    [ "$(head -c 8 "$T/s" | od -An -t x1 | tr -d ' ')" = "464d545301000103" ]
    [ "$(count_of "$T/s")" -eq 500 ]
    # record 500 (index 499): id 499
    [ "$(od -An -j $((32 + 499 * 792)) -N4 -t u4 "$T/s" | tr -d ' ')" -eq 499 ]
}

@test "count stays unknown (all ones) when writing to a pipe" {
    run bash -c 'csv2tensor -s 2x2 "$1" | od -An -j24 -N8 -t x1 | tr -d " \n"' _ "$TINY"
    [ "$output" = "ffffffffffffffff" ]
}

@test "no header row: detected, ids still start at 0" {
    zcat "$TEST" | tail -n +2 >"$T/nohdr.csv"
    run bash -c 'csv2tensor "$1" | tensor2csv --no-header | cmp - "$1"' _ "$T/nohdr.csv"
    [ "$status" -eq 0 ]
    run bash -c 'csv2tensor "$1" | tensor2csv --no-header --id | head -2 | cut -d, -f1,2' _ "$T/nohdr.csv"
    [ "$output" = $'0,9\n1,2' ]
}

@test "no header row and a bad first label: an error, not a header silently skipped" {
    for bad in -1 9.0 +1 1e3; do
        zcat "$TEST" | sed -n 2,4p | sed "1s/^[0-9]*,/$bad,/" >"$T/nohdr.csv"
        run --separate-stderr -1 csv2tensor "$T/nohdr.csv"
        [ "$stderr" = "csv2tensor: $T/nohdr.csv: line 1, field 1: label '$bad' is not a non-negative integer" ]
    done
    # a header whose column names are numbers (pandas writes label,0,1,...) is still a header
    printf 'label,0,1,2,3\n1,0,10,20,30\n' >"$T/numhdr.csv"
    run --separate-stderr -0 bash -c 'csv2tensor -s 2x2x1 "$1" | tensor2csv' _ "$T/numhdr.csv"
    [ "$output" = $'label,pixel1,pixel2,pixel3,pixel4\n1,0,10,20,30' ]
}

@test "unlabelled CSV (784 columns): labels -1, round trip" {
    zcat "$TEST" | cut -d, -f2- >"$T/unlab.csv"
    run bash -c 'csv2tensor "$1" | tensor2csv --header | cmp - "$1"' _ "$T/unlab.csv"
    [ "$status" -eq 0 ]
    csv2tensor "$T/unlab.csv" >"$T/s"
    [ "$(od -An -j36 -N4 -t d4 "$T/s" | tr -d ' ')" -eq -1 ]
}

@test "--no-labels and --labels force the layout" {
    run bash -c 'tail -n +2 "$1" | cut -d, -f2- | csv2tensor -s 2x2 --no-labels | tensor2csv --no-header' _ "$TINY"
    [ "$output" = $'0,1,254,255\n10,20,30,40\n7,0,0,200' ]
    printf '1,2,3,4\n' >"$T/four.csv"
    run --separate-stderr csv2tensor -s 2x2 --labels "$T/four.csv"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $T/four.csv: line 1: 4 fields, expected 5" ]
    run --separate-stderr csv2tensor -s 2x2 --no-labels "$TINY"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $TINY: line 2: 5 fields, expected 4" ]
}

@test "--shape: other image sizes" {
    run bash -c 'csv2tensor --shape 2x2x1 "$1" | tensor2csv --header' _ "$TINY"
    [ "$status" -eq 0 ]
    [ "$output" = "$(cat "$TINY")" ]
    run bash -c 'csv2tensor -s 2x2 "$1" | od -An -j7 -N13 -t u1 | tr -s " "' _ "$TINY"
    [ "$output" = " 3 2 0 0 0 2 0 0 0 1 0 0 0" ]
    run bash -c 'printf "1,2,3,4,5,6,7\n" | csv2tensor -s 1x2x3 | tensor2csv --no-header' _
    [ "$output" = "1,2,3,4,5,6,7" ]
}

@test "--classes: label range" {
    run bash -c 'printf "15,1\n" | csv2tensor -s 1x1 -k 16 | tensor2csv --no-header' _
    [ "$output" = "15,1" ]
    run --separate-stderr bash -c 'printf "15,1\n" | csv2tensor -s 1x1 -k 15'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 1: label 15 out of range (0..14)" ]
}

@test "UTF-8 BOM and CRLF line ends" {
    { printf '\xef\xbb\xbf'; sed 's/$/\r/' "$TINY"; } >"$T/bom.csv"
    run bash -c 'csv2tensor -s 2x2 "$1" | tensor2csv --header | cmp - "$2"' _ "$T/bom.csv" "$TINY"
    [ "$status" -eq 0 ]
    zcat "$TEST" | head -20 | sed 's/$/\r/' >"$T/crlf.csv"
    run bash -c 'csv2tensor "$1" | tensor2csv --header | cmp - <(zcat "$2" | head -20)' _ "$T/crlf.csv" "$TEST"
    [ "$status" -eq 0 ]
}

@test "quoted fields are accepted" {
    run bash -c 'printf "\"3\",\"0\",1,2,3\n" | csv2tensor -s 2x2 | tensor2csv --no-header' _
    [ "$output" = "3,0,1,2,3" ]
}

@test "header only: an empty stream (header, zero records), exit 0" {
    head -1 "$TINY" >"$T/h.csv"
    run csv2tensor -s 2x2 "$T/h.csv"
    [ "$status" -eq 0 ]
    csv2tensor -s 2x2 "$T/h.csv" >"$T/s"
    [ "$(stat -c %s "$T/s")" -eq 32 ]
    [ "$(count_of "$T/s")" -eq 0 ]
    run tensor2csv --no-header "$T/s"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
}

# ---- bad input: exact message, exit 1 ------------------------------------------

@test "empty input" {
    run --separate-stderr csv2tensor </dev/null
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: empty input (no CSV rows)" ]
    [ -z "$output" ]
}

@test "wrong field count (real rows)" {
    { zcat "$TEST" | head -3; row | cut -d, -f1-784; } >"$T/short.csv"
    run --separate-stderr csv2tensor "$T/short.csv"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $T/short.csv: line 4: 784 fields, expected 785" ]
    { zcat "$TEST" | head -2; echo "$(row),0"; } >"$T/long.csv"
    run --separate-stderr csv2tensor "$T/long.csv"
    [ "$stderr" = "csv2tensor: $T/long.csv: line 3: 786 fields, expected 785" ]
}

@test "wrong field count on the first row" {
    run --separate-stderr bash -c 'printf "1,2,3\n" | csv2tensor'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 1: 3 fields, expected 785 (label + 784 pixels) or 784 (pixels only)" ]
}

@test "header with the wrong number of fields" {
    run --separate-stderr bash -c 'printf "label,a,b\n1,2,3,4,5\n" | csv2tensor -s 2x2'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 1: header has 3 fields, expected 5 (label + pixels) or 4" ]
}

@test "a header that puts the label anywhere but first is refused, not read as a pixel" {
    { printf 'pixel1,pixel2,pixel3,Label\n'; printf '1,2,3,4\n'; } > "$T/last.csv"
    run --separate-stderr -1 csv2tensor -s 3x1x1 "$T/last.csv"
    [ "$stderr" = "csv2tensor: $T/last.csv: line 1: the header puts 'label' in column 4; the label must be the first column" ]
    [ -z "$output" ]
}

# ---- the header's pixel names (issue 19) ------------------------------------

# The test sample with its pixel columns sorted as text (pixel1, pixel10, pixel100, ...),
# as a spreadsheet or a script that sorts column names writes it.
sorted_csv() {
    zcat "$TEST" | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
order = [0] + sorted(range(1, len(rows[0])), key=lambda i: rows[0][i])
w = csv.writer(sys.stdout, lineterminator="\n")
for r in rows:
    w.writerow([r[i] for i in order])'
}

@test "header: pixel columns sorted as text are read by name, with one warning, to the same stream" {
    sorted_csv > "$T/sorted.csv"
    [ "$(head -c 40 "$T/sorted.csv")" = "label,pixel1,pixel10,pixel100,pixel101,p" ]
    csv2tensor "$TEST" > "$T/ordered.ts"
    run --separate-stderr bash -c 'csv2tensor "$1" > "$2"' _ "$T/sorted.csv" "$T/sorted.ts"
    [ "$status" -eq 0 ]
    [ "$stderr" = "csv2tensor: warning: $T/sorted.csv: line 1: the header's pixel columns are out of order (field 3 is 'pixel10'): each is read into the pixel its name says" ]
    cmp "$T/ordered.ts" "$T/sorted.ts"
    # and back to the Kaggle order, byte for byte
    run bash -c 'csv2tensor "$1" 2>/dev/null | tensor2csv | cmp - <(zcat "$2")' _ "$T/sorted.csv" "$TEST"
    [ "$status" -eq 0 ]
}

@test "header: pandas' names (0..N-1) in another order are read by name too; names of no scheme keep file order" {
    run --separate-stderr bash -c 'printf "label,0,1,3,2\n1,0,10,20,30\n" | csv2tensor -s 2x2 | tensor2csv --no-header'
    [ "$status" -eq 0 ]
    [ "$output" = "1,0,10,30,20" ]
    [ "$stderr" = "csv2tensor: warning: <stdin>: line 1: the header's pixel columns are out of order (field 4 is '3'): each is read into the pixel its name says" ]
    # in order, or any case of "pixel": no warning
    run --separate-stderr bash -c 'printf "label,PIXEL1,Pixel2,pixel3,pixel4\n1,0,10,20,30\n" | csv2tensor -s 2x2 | tensor2csv --no-header'
    [ "$output" = "1,0,10,20,30" ]
    [ -z "$stderr" ]
    # an unlabelled header is checked the same way
    run --separate-stderr bash -c 'printf "pixel2,pixel1,pixel3,pixel4\n0,10,20,30\n" | csv2tensor -s 2x2 | tensor2csv --no-header'
    [ "$output" = "10,0,20,30" ]
    [[ "$stderr" == *"(field 1 is 'pixel2')"* ]]
    run --separate-stderr bash -c 'printf "label,d,c,b,a\n1,0,10,20,30\n" | csv2tensor -s 2x2 | tensor2csv --no-header'
    [ "$output" = "1,0,10,20,30" ]
    [ -z "$stderr" ]
}

@test "header: an unknown or repeated pixel column name is refused, nothing written" {
    run --separate-stderr -1 bash -c 'printf "label,pixel1,pixel2,pixel9,pixel4\n1,0,10,20,30\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 4: unknown pixel column 'pixel9' (expected pixel1..pixel4, each once)" ]
    [ -z "$output" ]
    run --separate-stderr -1 bash -c 'printf "label,pixel1,pixel2,x,pixel4\n1,0,10,20,30\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 4: unknown pixel column 'x' (expected pixel1..pixel4, each once)" ]
    run --separate-stderr -1 bash -c 'printf "label,pixel1,pixel2,pixel2,pixel4\n1,0,10,20,30\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1: duplicate pixel column: fields 3 and 4 are both pixel2" ]
    [ -z "$output" ]
    run --separate-stderr -1 bash -c 'printf "label,0,1,1,2\n1,0,10,20,30\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1: duplicate pixel column: fields 3 and 4 are both 1" ]
    run --separate-stderr -1 bash -c 'printf "label,1,2,3,4\n1,0,10,20,30\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 5: unknown pixel column '4' (expected 0..3, each once)" ]
    # the real file with one name changed
    run --separate-stderr -1 bash -c 'zcat "$1" | sed "1s/,pixel10,/,pixel0,/" | csv2tensor' _ "$TEST"
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 11: unknown pixel column 'pixel0' (expected pixel1..pixel784, each once)" ]
}

@test "non-integer pixel" {
    { zcat "$TEST" | head -5; row | sed 's/^9,0,0,0,/9,0,0,x1,/'; } >"$T/bad.csv"
    run --separate-stderr csv2tensor "$T/bad.csv"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $T/bad.csv: line 6, field 4: 'x1' is not an integer" ]
    run --separate-stderr bash -c 'printf "1,2,3.0,4,5\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 3: '3.0' is not an integer" ]
    run --separate-stderr bash -c 'printf "1,2,-3,4,5\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 3: '-3' is not an integer" ]
    run --separate-stderr bash -c 'printf "1,2,,4,5\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 1, field 3: '' is not an integer" ]
}

@test "pixel value out of range" {
    run --separate-stderr bash -c 'printf "1,2,3,4,5\n1,2,3,256,5\n" | csv2tensor -s 2x2'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 2, field 4: value 256 out of range (0..255)" ]
}

@test "label out of range" {
    { zcat "$TEST" | head -3; row | sed 's/^9,/10,/'; } >"$T/bad.csv"
    run --separate-stderr csv2tensor "$T/bad.csv"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $T/bad.csv: line 4, field 1: label 10 out of range (0..9)" ]
    run --separate-stderr bash -c 'printf "1,2,3,4,5\nx,2,3,4,5\n" | csv2tensor -s 2x2'
    [ "$stderr" = "csv2tensor: <stdin>: line 2, field 1: label 'x' is not a non-negative integer" ]
}

@test "unterminated quote names the line where it opened" {
    run --separate-stderr bash -c 'printf "1,2,3,4,5\n1,\"2,3,4,5\n1,2,3,4,5\n" | csv2tensor -s 2x2'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 2, field 2: unterminated quote" ]
}

@test "stray quote" {
    run --separate-stderr bash -c 'printf "1,2,3,4,5\n1,2,3\"4,5\n" | csv2tensor -s 2x2'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 2, field 3: stray quote (a quote must enclose the whole field)" ]
}

@test "NUL byte" {
    run --separate-stderr bash -c 'printf "1,2,3,4,5\n1,2,3\0,4,5\n" | csv2tensor -s 2x2'
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdin>: line 2, field 3: '3?' is not an integer" ]
}

@test "truncated gzip input" {
    head -c 100000 "$TEST" >"$T/cut.gz"
    run --separate-stderr csv2tensor "$T/cut.gz"
    [ "$status" -eq 1 ]
    [[ "$stderr" =~ ^"csv2tensor: $T/cut.gz: line "[0-9]+": truncated gzip input (unexpected end of file)"$ ]]
}

@test "missing file" {
    run --separate-stderr csv2tensor "$T/nonexistent.csv"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: $T/nonexistent.csv: No such file or directory" ]
    [ -z "$output" ]
}

@test "an error mid-stream leaves a truncated record for the reader downstream" {
    run --separate-stderr bash -c 'printf "1,2,3,4,5\n1,2,3,4,5\n1,2,x,4,5\n" | csv2tensor -s 2x2 | tensor2csv --no-header'
    [ "$status" -eq 1 ]
    [ "$output" = $'1,2,3,4,5\n1,2,3,4,5' ]
    [ "$stderr" = $'csv2tensor: <stdin>: line 3, field 3: \'x\' is not an integer\ntensor2csv: <stdin>: record 3: truncated (got 1 of 12 bytes)' ]
}

@test "an error on the first row writes nothing" {
    run --separate-stderr bash -c 'printf "1,2,x,4,5\n" | csv2tensor -s 2x2 | wc -c'
    [ "$output" -eq 0 ]
}

# ---- usage, help, output errors ------------------------------------------------

@test "usage errors: exit 2, nothing on stdout" {
    for args in "--bogus" "-s" "--shape 0x28" "--shape 28" "--shape 28x28x1x1" "--shape axb" "--shape 4294967324x28x1" "--shape -1x28" \
        "--classes 0" "--classes x" "--classes 70000" "a.csv b.csv"; do
        run --separate-stderr csv2tensor $args </dev/null
        [ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
        [ -z "$output" ] || { echo "args: $args wrote to stdout"; false; }
        [[ "$stderr" == *"Try 'csv2tensor --help' for more information." ]]
    done
    run --separate-stderr csv2tensor --shape 0x28 </dev/null
    [ "$stderr" = $'csv2tensor: --shape: expected HxWxC with positive sizes, got \'0x28\'\nTry \'csv2tensor --help\' for more information.' ]
}

@test "--help to stdout, exit 0; --version" {
    run --separate-stderr csv2tensor --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: csv2tensor [OPTION]... [FILE]" ]
    [ -z "$stderr" ]
    run csv2tensor --version
    [ "$status" -eq 0 ]
    [[ "$output" == "csv2tensor (fashion-mnist filters) "* ]]
}

@test "writing to /dev/full fails with a message" {
    run --separate-stderr bash -c 'csv2tensor "$1" >/dev/full' _ "$TEST"
    [ "$status" -eq 1 ]
    [ "$stderr" = "csv2tensor: <stdout>: write error: No space left on device" ]
}

@test "| head -c 100 ends quietly" {
    run --separate-stderr bash -c 'csv2tensor "$1" | head -c 100 | wc -c; echo "${PIPESTATUS[0]}"' _ "$TRAIN"
    [ "${lines[0]}" -eq 100 ]
    [ "${lines[1]}" -eq 141 ] # SIGPIPE, default action
    [ -z "$stderr" ]
}
