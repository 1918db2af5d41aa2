#!/usr/bin/env bats
# flip-labels: seeded synthetic label noise, and the list of what it flipped.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" >"$T/s.ts"
}

# "id,label" of every record, and the pixels alone, of a stream.
labels_of() { tensor2csv --id --no-header "$1" | cut -d, -f1,2; }
pixels_of() { tensor2csv --id --no-header "$1" | cut -d, -f1,3-; }

@test "--help to stdout lists every option; --version" {
    run flip-labels --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: flip-labels [OPTION]... [FILE]" ]
    for opt in --rate --seed --pairs --classes --output --flipped --help --version; do
        [[ "$output" == *"$opt"* ]] || false
    done
    run flip-labels --version
    [ "$status" -eq 0 ]
}

@test "usage errors exit 2 and write nothing" {
    run --separate-stderr -2 flip-labels "$T/s.ts"
    [ -z "$output" ]
    [ "${stderr_lines[0]}" = "flip-labels: say how many labels to flip: --rate R" ]
    run --separate-stderr -2 flip-labels --rate 1.5 "$T/s.ts"
    [[ "${stderr_lines[0]}" == "flip-labels: --rate: "* ]]
    run --separate-stderr -2 flip-labels --rate 0.1 --pairs 6:6 "$T/s.ts"
    [ "${stderr_lines[0]}" = "flip-labels: --pairs: 6:6 flips a class to itself" ]
    run --separate-stderr -2 flip-labels --rate 0.1 --pairs 6:0,6:2 "$T/s.ts"
    [ "${stderr_lines[0]}" = "flip-labels: --pairs: class 6 is flipped twice" ]
    run --separate-stderr -2 flip-labels --rate 0.1 --pairs 6-0 "$T/s.ts"
    [ "${stderr_lines[0]}" = "flip-labels: --pairs: expected FROM:TO, got '6-0'" ]
    run --separate-stderr -2 flip-labels --rate 0.1 --flipped - "$T/s.ts"
    [ "${stderr_lines[0]}" = "flip-labels: --flipped -: stdout gets the stream; send that to a file with -o FILE" ]
    [ -z "$output" ]
}

@test "uniform: about R of the labels change, each to another class; ids and pixels unchanged; the list is exact" {
    run --separate-stderr flip-labels --rate 0.1 --seed 1 --flipped "$T/f.txt" -o "$T/n.ts" "$T/s.ts"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    n=$(wc -l <"$T/f.txt")
    [ "$stderr" = "flip-labels: flipped $n of 2000 labels ($(awk -v n="$n" 'BEGIN { printf "%.2f", n / 20 }') %)" ]
    # binomial(2000, 0.1): mean 200, sd 13.4
    [ "$n" -ge 150 ]
    [ "$n" -le 250 ]
    labels_of "$T/s.ts" >"$T/a"
    labels_of "$T/n.ts" >"$T/b"
    paste -d, "$T/a" "$T/b" | awk -F, '$2 != $4 { print $1 }' >"$T/changed"
    diff "$T/changed" "$T/f.txt"
    # no label outside 0..9; every class but the record's own is reached
    run awk -F, '$2 < 0 || $2 > 9' "$T/b"
    [ -z "$output" ]
    [ "$(paste -d, "$T/a" "$T/b" | awk -F, '$2 != $4 { print $4 }' | sort -u | wc -l)" -eq 10 ]
    cmp <(pixels_of "$T/s.ts") <(pixels_of "$T/n.ts")
}

@test "the same seed flips the same records, another seed others; a record's fate does not depend on the rest of the stream" {
    flip-labels --rate 0.1 --seed 1 --flipped "$T/f1.txt" "$T/s.ts" >"$T/n1.ts" 2>/dev/null
    flip-labels --rate 0.1 --seed 1 --flipped "$T/f1b.txt" "$T/s.ts" >"$T/n1b.ts" 2>/dev/null
    cmp "$T/n1.ts" "$T/n1b.ts"
    cmp "$T/f1.txt" "$T/f1b.txt"
    flip-labels --rate 0.1 --seed 2 --flipped "$T/f2.txt" "$T/s.ts" >/dev/null 2>&1
    ! cmp -s "$T/f1.txt" "$T/f2.txt"
    # the last 1000 records alone (from a pipe): the same flips as within the whole stream
    split --ratio 0.5 --seed 4 -o "$T/a.ts" -O "$T/b.ts" "$T/s.ts"
    flip-labels --rate 0.1 --seed 1 --flipped "$T/fb.txt" <"$T/b.ts" >/dev/null 2>&1
    labels_of "$T/b.ts" | cut -d, -f1 | sort >"$T/ids-b"
    sort "$T/f1.txt" | comm -12 - "$T/ids-b" >"$T/expect"
    sort "$T/fb.txt" | cmp - "$T/expect"
}

@test "--pairs: only the listed classes flip, each to its pair (Shirt <-> T-shirt)" {
    run --separate-stderr flip-labels --rate 0.5 --seed 3 --pairs 6:0,0:6 --flipped "$T/f.txt" -o "$T/n.ts" "$T/s.ts"
    [ "$status" -eq 0 ]
    labels_of "$T/s.ts" >"$T/a"
    labels_of "$T/n.ts" >"$T/b"
    paste -d, "$T/a" "$T/b" | awk -F, '$2 != $4 { print $2 ":" $4 }' | sort | uniq -c | awk '{ print $2 }' >"$T/pairs"
    [ "$(cat "$T/pairs")" = "0:6
6:0" ]
    # about half of each of the two classes
    n=$(wc -l <"$T/f.txt")
    m=$(awk -F, '$2 == 0 || $2 == 6' "$T/a" | wc -l)
    [ "$n" -ge $((m * 4 / 10)) ]
    [ "$n" -le $((m * 6 / 10)) ]
}

@test "rate 0 flips nothing, rate 1 every label" {
    run --separate-stderr flip-labels --rate 0 --flipped "$T/f.txt" -o "$T/n.ts" "$T/s.ts"
    [ "$stderr" = "flip-labels: flipped 0 of 2000 labels (0.00 %)" ]
    [ ! -s "$T/f.txt" ]
    cmp "$T/s.ts" "$T/n.ts"
    run --separate-stderr flip-labels --rate 1 -o "$T/n.ts" "$T/s.ts"
    [ "$stderr" = "flip-labels: flipped 2000 of 2000 labels (100.00 %)" ]
}

@test "bad input: one line, exit 1, no output file; a truncated pipe ends with a partial record" {
    run --separate-stderr -1 flip-labels --rate 0.1 -o "$T/n.ts" --flipped "$T/f.txt" "$T/missing.ts"
    [[ "$stderr" == "flip-labels: $T/missing.ts: "* ]]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [ ! -e "$T/n.ts" ]
    [ ! -e "$T/f.txt" ]
    head -c 10000 "$T/s.ts" >"$T/cut.ts"
    run --separate-stderr -1 flip-labels --rate 0.1 -o "$T/n.ts" --flipped "$T/f.txt" "$T/cut.ts"
    [ "$stderr" = "flip-labels: $T/cut.ts: record 13: truncated (got 464 of 792 bytes)" ]
    [ ! -e "$T/n.ts" ]
    [ ! -e "$T/f.txt" ]
    [ -z "$(ls "$T" | grep tmp)" ]
    run --separate-stderr bash -c 'flip-labels --rate 0.1 < "$1" | tensor2csv >/dev/null' _ "$T/cut.ts"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"tensor2csv: <stdin>: record 13: truncated"* ]]
    run --separate-stderr -1 flip-labels --rate 0.1 --pairs 6:12 "$T/s.ts"
    [ "$stderr" = "flip-labels: $T/s.ts: --pairs 6:12: the stream has 10 classes (0..9)" ]
    run --separate-stderr -1 flip-labels --rate 0.1 -o "$T/s.ts" "$T/s.ts"
    [[ "$stderr" == "flip-labels: "*"refusing to overwrite an input"* ]]
}

@test "a write error on stdout fails loudly" {
    run --separate-stderr bash -c 'flip-labels --rate 0.1 "$1" >/dev/full' _ "$T/s.ts"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "flip-labels: "*"No space left on device"* ]]
}
