#!/usr/bin/env bats
# tcat: joins streams in order, headers checked, counts summed, atomic output, errors.

load test_helper

setup() {
    D="$BATS_TEST_TMPDIR"
    ALL="$D/all.ts"
    csv2tensor "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$ALL"
    split --head 200 -o "$D/a.ts" -O "$D/rest.ts" "$ALL"
    split --head 100 -o "$D/b.ts" -O "$D/c.ts" "$D/rest.ts"
}

count_field() { od -An -tu8 -j24 -N8 "$1" | tr -d ' '; }

@test "tcat: the parts, in order, give the stream back byte for byte; the count is summed" {
    run -0 --separate-stderr tcat -o "$D/j.ts" "$D/a.ts" "$D/b.ts" "$D/c.ts"
    [ -z "$output" ]
    [ -z "$stderr" ]
    cmp "$D/j.ts" "$ALL"
    # on a pipe too: every input states its count, so the header states the sum at once
    tcat "$D/a.ts" "$D/b.ts" "$D/c.ts" | cat >"$D/p.ts"
    cmp "$D/p.ts" "$ALL"
    # another order is another stream: ids follow the inputs
    tcat "$D/c.ts" "$D/a.ts" >"$D/ca.ts"
    [ "$(tensor2csv --no-header --id "$D/ca.ts" | cut -d, -f1 | sed -n '1p;$p' | tr '\n' ' ')" = "300 199 " ]
    [ "$(count_field "$D/ca.ts")" = 400 ]
}

@test "tcat: stdin as one of the inputs, or the only one; counts unknown stay unknown on a pipe" {
    tcat "$D/a.ts" - "$D/c.ts" <"$D/b.ts" >"$D/j.ts"
    cmp "$D/j.ts" "$ALL"
    tcat <"$ALL" >"$D/copy.ts"
    cmp "$D/copy.ts" "$ALL"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | csv2tensor | tcat "$D/a.ts" - | cat >"$D/u.ts"
    [ "$(count_field "$D/u.ts")" = 18446744073709551615 ]
    # written to a file, the count is patched in
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | csv2tensor | tcat -o "$D/f.ts" "$D/a.ts" -
    [ "$(count_field "$D/f.ts")" = 700 ]
}

@test "tcat: --offset-ids: chunks of one CSV converted apart get the whole CSV's ids" {
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$D/t.csv"
    { head -n 1 "$D/t.csv"; sed -n '2,201p' "$D/t.csv"; } >"$D/c1.csv"
    sed -n '202,350p' "$D/t.csv" >"$D/c2.csv" # no header row: ids still count data rows
    { head -n 1 "$D/t.csv"; sed -n '351,501p' "$D/t.csv"; } >"$D/c3.csv"
    for i in 1 2 3; do csv2tensor "$D/c$i.csv" >"$D/c$i.ts"; done
    tcat --offset-ids -o "$D/j.ts" "$D/c1.ts" "$D/c2.ts" "$D/c3.ts"
    cmp "$D/j.ts" "$ALL"
    # without it, each chunk's ids start again at 0
    tcat "$D/c1.ts" "$D/c2.ts" >"$D/k.ts"
    [ "$(tensor2csv --no-header --id "$D/k.ts" | sed -n '201p' | cut -d, -f1)" = 0 ]
}

@test "tcat: refuses streams that do not agree, before writing anything" {
    train -q -a "$SAMPLES/small.arch" -e 1 -j 1 -o "$D/m.bin" "$D/a.ts"
    predict "$D/m.bin" "$D/b.ts" >"$D/p.ts"
    run -1 --separate-stderr tcat -o "$D/j.ts" "$D/a.ts" "$D/p.ts"
    [ "$stderr" = "tcat: $D/p.ts: records of 10 f32, but $D/a.ts has 28x28x1 u8 (one stream holds one shape)" ]
    [ ! -e "$D/j.ts" ]
    run -0 --separate-stderr bash -c 'tcat "$1" "$2" | wc -c' _ "$D/a.ts" "$D/p.ts"
    [ "$output" = 0 ]
    [ -n "$stderr" ]
    # the same shape, another class count
    csv2tensor -k 12 "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$D/k12.ts"
    run -1 --separate-stderr tcat "$D/a.ts" "$D/k12.ts"
    [ "$stderr" = "tcat: $D/k12.ts: nclass 12, but $D/a.ts has 10 (not streams of the same classes)" ]
    [ -z "$output" ]
}

@test "tcat: a damaged input fails the whole join: no file, or a broken stream on stdout" {
    head -c 10000 "$D/b.ts" >"$D/cut.ts"
    run -1 --separate-stderr tcat -o "$D/j.ts" "$D/a.ts" "$D/cut.ts" "$D/c.ts"
    # 10000 = 32 + 12 x 792 + 464
    [ "$stderr" = "tcat: $D/cut.ts: record 13: truncated (got 464 of 792 bytes)" ]
    [ ! -e "$D/j.ts" ]
    run -1 --separate-stderr bash -c 'tcat "$1" "$2" | tensor2csv --no-header >/dev/null' _ "$D/a.ts" "$D/cut.ts"
    [[ "$stderr" == *"tcat: $D/cut.ts: record 13: truncated (got 464 of 792 bytes)"* ]]
    # the records read in the failed batch are not passed on: the break comes after a's 200
    [[ "$stderr" == *"tensor2csv: <stdin>: record 201: truncated (got 1 of 792 bytes)"* ]]
    # a plain cat of two streams is not a stream
    cat "$D/a.ts" "$D/b.ts" >"$D/catted.ts"
    run -1 --separate-stderr tcat "$D/catted.ts"
    [ "$stderr" = "tcat: $D/catted.ts: record 201: more records than the header's count of 200" ]
}

@test "tcat: errors: input as output, stdin twice, write errors, usage" {
    run -1 --separate-stderr tcat -o "$D/a.ts" "$D/b.ts" "$D/a.ts"
    [ "$stderr" = "tcat: $D/a.ts: refusing to overwrite an input" ]
    run -2 --separate-stderr tcat - "$D/a.ts" -
    [ "${stderr%%$'\n'*}" = "tcat: standard input (-) given more than once" ]
    [ -z "$output" ]
    run -1 --separate-stderr tcat -o /dev/full "$D/a.ts"
    [ "$stderr" = "tcat: /dev/full: write error: No space left on device" ]
    run -1 --separate-stderr tcat "$D/nosuch.ts"
    [ "$stderr" = "tcat: $D/nosuch.ts: No such file or directory" ]
    run -2 --separate-stderr tcat --bogus
    [ -z "$output" ]
    run -0 tcat --help
    [ "${lines[0]}" = "Usage: tcat [OPTION]... [FILE]..." ]
}
