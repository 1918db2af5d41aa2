#!/usr/bin/env bats
# average: the mean of prediction streams, record by record, with ids and labels
# checked. Streams come from tests/fixtures/flag-mkpreds.py (SPEC lines: id label p0..pK-1).
load test_helper

setup() {
    MK="python3 $FIX/flag-mkpreds.py --classes 3"
    cd "$BATS_TEST_TMPDIR"
    printf '0 0 0.5 0.25 0.25\n1 2 0.125 0.375 0.5\n7 1 1 0 0\n' | $MK > a.ts
    printf '0 0 0.25 0.25 0.5\n1 2 0.375 0.125 0.5\n7 1 0 0 1\n' | $MK > b.ts
}

@test "average: the mean of two streams, with ids and labels carried through" {
    run --separate-stderr bash -c 'average a.ts b.ts | tensor2csv --raw --id --no-header'
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "${lines[0]}" = "0,0,0.375,0.25,0.375" ]
    [ "${lines[1]}" = "1,2,0.25,0.25,0.5" ]
    [ "${lines[2]}" = "7,1,0.5,0,0.5" ]
}

@test "average: three inputs, one of them standard input, and the record count kept" {
    run --separate-stderr bash -c 'average a.ts - b.ts < a.ts > m.ts && tensor2csv --raw --id --no-header < m.ts | head -n 2'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "0,0,0.416666657,0.25,0.333333343" ]
    [ "$(od -An -tu8 -j24 -N8 m.ts | tr -d ' ')" = 3 ]
}

@test "average: a stream averaged with itself is itself, byte for byte" {
    average a.ts a.ts | cmp - a.ts
}

@test "average: records that are not the same (id or label) are an error naming the record" {
    printf '0 0 0.5 0.25 0.25\n2 2 0.125 0.375 0.5\n7 1 1 0 0\n' | $MK > c.ts
    run --separate-stderr bash -c 'average a.ts c.ts > out.ts'
    [ "$status" -eq 1 ]
    [ "$stderr" = "average: c.ts: record 2 is id 2 label 2, but in a.ts id 1 label 2 (not the same records)" ]
    # what was written is marked unfinished: a reader downstream fails too
    run confmat out.ts
    [ "$status" -ne 0 ]
}

@test "average: inputs of different lengths are an error" {
    printf '0 0 0.5 0.25 0.25\n1 2 0.125 0.375 0.5\n' | $MK > short.ts
    run --separate-stderr average a.ts short.ts
    [ "$status" -eq 1 ]
    [ "$stderr" = "average: short.ts: 2 records, but a.ts has 3" ]
    # without a count in the header (a pipe), the shorter one is found when it ends
    run --separate-stderr bash -c 'average a.ts <(cat short.ts | tail -c +33 | cat <(head -c 24 short.ts) <(printf "\377\377\377\377\377\377\377\377") -) > /dev/null'
    [ "$status" -eq 1 ]
    [[ "$stderr" == "average: "*": ends after 2 records, before a.ts" ]]
}

@test "average: a different number of classes, or a stream of images, is refused" {
    printf '0 0 0.5 0.5\n' | python3 "$FIX/flag-mkpreds.py" --classes 2 > two.ts
    run --separate-stderr average a.ts two.ts
    [ "$status" -eq 1 ]
    [ "$stderr" = "average: two.ts: 2 scores per record (2 classes), but a.ts has 3 (3 classes)" ]
    gzip -dc "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -n 3 | csv2tensor > img.ts
    run --separate-stderr average a.ts img.ts
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"img.ts: a u8 stream is not predictions"* ]]
}

@test "average: usage errors exit 2; --help exits 0" {
    run --separate-stderr average a.ts
    [ "$status" -eq 2 ]
    [[ "$stderr" == "average: expected at least two prediction streams, got 1"* ]]
    run --separate-stderr average - -
    [ "$status" -eq 2 ]
    [[ "$stderr" == *"standard input (-) given more than once"* ]]
    run average --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:* ]]
    run --separate-stderr average a.ts missing.ts
    [ "$status" -eq 1 ]
    [[ "$stderr" == "average: missing.ts"* ]]
}
