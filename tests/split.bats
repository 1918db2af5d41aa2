#!/usr/bin/env bats
# split: exact sizes, stratification, determinism, ids, union = input, atomic outputs, errors.

load test_helper

setup() {
    D="$BATS_TEST_TMPDIR"
    ALL="$D/all.ts"
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" >"$ALL"
}

count() { tensor2csv --no-header "$1" | wc -l; }
# "label count" per class, from the label column
per_class() { tensor2csv --no-header "$1" | cut -d, -f1 | sort -n | uniq -c | awk '{ print $2, $1 }'; }
ids() { tensor2csv --no-header --id "$1" | cut -d, -f1; }

@test "split: --ratio 0.1 holds out exactly 10% and keeps the rest" {
    run -0 --separate-stderr split --ratio 0.1 --seed 1 -o "$D/train.ts" -O "$D/val.ts" "$ALL"
    [ -z "$output" ] && [ -z "$stderr" ] || false
    [ "$(count "$D/val.ts")" -eq 200 ]
    [ "$(count "$D/train.ts")" -eq 1800 ]
    # round(R x N), halves up: 0.25 x 2000 = 500, 0.0005 x 2000 = 1
    split --ratio 0.25 -o "$D/a.ts" -O "$D/b.ts" "$ALL"
    [ "$(count "$D/b.ts")" -eq 500 ]
    split --ratio 0.0005 -o "$D/a.ts" -O "$D/b.ts" "$ALL"
    [ "$(count "$D/b.ts")" -eq 1 ]
    split --ratio 0 -o "$D/a.ts" -O "$D/b.ts" "$ALL"
    [ "$(count "$D/b.ts")" -eq 0 ] && [ "$(count "$D/a.ts")" -eq 2000 ] || false
}

@test "split: stratified: every class keeps its share (largest remainder)" {
    split --ratio 0.1 --seed 3 -o "$D/train.ts" -O "$D/val.ts" "$ALL"
    per_class "$ALL" >"$D/all.n"
    per_class "$D/val.ts" >"$D/val.n"
    # each class gets floor(0.1 n) or floor(0.1 n) + 1 records
    join "$D/all.n" "$D/val.n" | awk '{ q = $2 / 10; if ($3 < int(q) || $3 > int(q) + 1) { print "class " $1 ": " $3 " of " $2; bad = 1 } }
        END { exit bad }'
    # with 2000 records, 200 held out: exact quotas from the sample's class counts
    run -0 awk '{ printf "%s:%s ", $1, $2 }' "$D/val.n"
    [ "$output" = "0:19 1:22 2:20 3:20 4:19 5:20 6:19 7:21 8:20 9:20 " ]
}

@test "split: --no-stratify still gives exact sizes, and class shares then vary" {
    split --ratio 0.1 --seed 3 --no-stratify -o "$D/train.ts" -O "$D/val.ts" "$ALL"
    [ "$(count "$D/val.ts")" -eq 200 ]
    [ "$(count "$D/train.ts")" -eq 1800 ]
    split --ratio 0.1 --seed 3 -o "$D/t2.ts" -O "$D/v2.ts" "$ALL"
    ! cmp -s "$D/val.ts" "$D/v2.ts" || false
}

@test "split: the same seed gives the same bytes; another seed another split" {
    split --ratio 0.1 --seed 42 -o "$D/t1.ts" -O "$D/v1.ts" "$ALL"
    split --ratio 0.1 --seed 42 -o "$D/t2.ts" -O "$D/v2.ts" <"$ALL"
    cmp "$D/t1.ts" "$D/t2.ts"
    cmp "$D/v1.ts" "$D/v2.ts"
    split --ratio 0.1 --seed 43 -o "$D/t3.ts" -O "$D/v3.ts" "$ALL"
    ! cmp -s "$D/v1.ts" "$D/v3.ts" || false
    # the same on any machine: integer-only PRNG, so the chosen ids are pinned here
    # (the fixture was cross-checked with an independent Python version of the algorithm)
    run -0 bash -c "tensor2csv --no-header --id '$D/v1.ts' | cut -d, -f1 | head -n 5 | tr '\n' ' '"
    [ "$output" = "$(cat "$FIX/split-seed42-first-ids")" ]
}

@test "split: ids preserved, outputs disjoint, union equals the input, order kept" {
    split --ratio 0.3 --seed 7 -o "$D/train.ts" -O "$D/val.ts" "$ALL"
    cat <(tensor2csv --no-header --id "$D/train.ts") <(tensor2csv --no-header --id "$D/val.ts") | sort >"$D/union"
    tensor2csv --no-header --id "$ALL" | sort >"$D/input"
    cmp "$D/union" "$D/input"
    [ -z "$(comm -12 <(ids "$D/train.ts" | sort) <(ids "$D/val.ts" | sort))" ]
    ids "$D/train.ts" | sort -c -n
    ids "$D/val.ts" | sort -c -n
}

@test "split: outputs carry the input's header and their record count" {
    split --ratio 0.1 -o "$D/train.ts" -O "$D/val.ts" "$ALL"
    stats --csv "$D/val.ts" >"$D/s.csv"
    grep -qx 'summary,,shape,,,,28x28x1 u8' "$D/s.csv"
    grep -qx 'summary,,nclass,,,,10' "$D/s.csv"
    # the count at offset 24 of the header (u64 little-endian)
    [ "$(od -An -tu8 -j24 -N8 "$D/val.ts" | tr -d ' ')" = 200 ]
    [ "$(od -An -tu8 -j24 -N8 "$D/train.ts" | tr -d ' ')" = 1800 ]
}

@test "split: -o - writes the kept part to stdout" {
    run -0 bash -c "split --ratio 0.5 --seed 2 -O '$D/val.ts' '$ALL' | tensor2csv --no-header | wc -l"
    [ "$output" -eq 1000 ]
}

@test "split: --head N takes the first N records, -O the rest" {
    split --head 25 -o "$D/h.ts" -O "$D/rest.ts" "$ALL"
    [ "$(ids "$D/h.ts" | tr '\n' ' ')" = "$(seq 0 24 | tr '\n' ' ')" ]
    [ "$(count "$D/rest.ts")" -eq 1975 ]
    [ "$(ids "$D/rest.ts" | head -n 1)" = 25 ]
    run -0 bash -c "split --head 3 < '$ALL' | tensor2csv --no-header --id | cut -d, -f1-2 | tr '\n' ' '"
    [ "$output" = "$(tensor2csv --no-header --id "$ALL" | head -n 3 | cut -d, -f1-2 | tr '\n' ' ')" ]
    # more than there is: everything, like head(1)
    split --head 5000 -o "$D/h.ts" "$ALL"
    cmp "$D/h.ts" "$ALL"
}

@test "split: --sample N draws exactly N, stratified, deterministic" {
    split --sample 50 --seed 9 -o "$D/s1.ts" -O "$D/rest.ts" "$ALL"
    [ "$(count "$D/s1.ts")" -eq 50 ]
    [ "$(count "$D/rest.ts")" -eq 1950 ]
    run -0 bash -c "tensor2csv --no-header '$D/s1.ts' | cut -d, -f1 | sort | uniq -c | awk '{ print \$1 }' | sort -u"
    [ "$output" = 5 ]
    split --sample 50 --seed 9 -o "$D/s2.ts" "$ALL"
    cmp "$D/s1.ts" "$D/s2.ts"
    split --sample 50 --seed 9 --no-stratify -o "$D/s3.ts" "$ALL"
    [ "$(count "$D/s3.ts")" -eq 50 ]
    run -1 --separate-stderr split --sample 2001 -o "$D/big.ts" "$ALL"
    [ "$stderr" = "split: --sample 2001: $ALL has only 2000 records" ]
    [ ! -e "$D/big.ts" ]
}

@test "split: --fold I/K: the K folds partition the input, ids and order kept, sizes even" {
    for i in 1 2 3; do
        split --fold "$i/3" --seed 5 -o "$D/f$i.ts" -O "$D/r$i.ts" "$ALL"
    done
    # 2000 = 3 x 666 + 2: folds 1 and 2 get one more
    [ "$(count "$D/f1.ts")" -eq 667 ]
    [ "$(count "$D/f2.ts")" -eq 667 ]
    [ "$(count "$D/f3.ts")" -eq 666 ]
    [ "$(count "$D/r3.ts")" -eq 1334 ]
    [ "$(od -An -tu8 -j24 -N8 "$D/f3.ts" | tr -d ' ')" = 666 ]
    # every record in exactly one fold, bytes unchanged
    cat <(tensor2csv --no-header --id "$D/f1.ts") <(tensor2csv --no-header --id "$D/f2.ts") \
        <(tensor2csv --no-header --id "$D/f3.ts") | sort >"$D/union"
    tensor2csv --no-header --id "$ALL" | sort >"$D/input"
    cmp "$D/union" "$D/input"
    # -O holds the other folds, in input order
    cat <(tensor2csv --no-header --id "$D/f1.ts") <(tensor2csv --no-header --id "$D/f3.ts") | sort -t, -k1,1n >"$D/not2"
    tensor2csv --no-header --id "$D/r2.ts" >"$D/r2.csv"
    cmp "$D/not2" "$D/r2.csv"
    ids "$D/f2.ts" | sort -c -n
}

@test "split: --fold spreads every label over the folds as evenly as it can" {
    for i in 1 2 3 4 5 6 7; do
        split --fold "$i/7" --seed 11 -o "$D/f$i.ts" "$ALL"
        per_class "$D/f$i.ts" | sed "s/^/$i /"
    done >"$D/counts"
    # per label: the folds' counts differ by at most one, and add up to the label's count
    per_class "$ALL" >"$D/all.n"
    run -0 awk 'NR == FNR { total[$1] = $2; next }
        { n = $3; c = $2; sum[c] += n; if (!(c in lo) || n < lo[c]) lo[c] = n; if (!(c in hi) || n > hi[c]) hi[c] = n; folds[c]++ }
        END { for (c in total) if (hi[c] - lo[c] > 1 || sum[c] != total[c] || folds[c] != 7) print "label " c ": " lo[c] ".." hi[c] ", " sum[c] " of " total[c] }' \
        "$D/all.n" "$D/counts"
    [ -z "$output" ]
    # --no-stratify: the sizes are still exact, the class shares vary
    split --fold 1/7 --seed 11 --no-stratify -o "$D/n1.ts" "$ALL"
    [ "$(count "$D/n1.ts")" -eq "$(count "$D/f1.ts")" ]
    ! cmp -s "$D/n1.ts" "$D/f1.ts" || false
}

@test "split: --fold is deterministic: same seed same bytes, pipe or file; pinned ids" {
    split --fold 2/5 --seed 42 -o "$D/a.ts" -O "$D/ra.ts" "$ALL"
    split --fold 2/5 --seed 42 -o "$D/b.ts" -O "$D/rb.ts" <"$ALL"
    cmp "$D/a.ts" "$D/b.ts"
    cmp "$D/ra.ts" "$D/rb.ts"
    split --fold 2/5 --seed 43 -o "$D/c.ts" "$ALL"
    ! cmp -s "$D/a.ts" "$D/c.ts" || false
    # cross-checked with an independent Python version of the deal (xoshiro256**, labels in order)
    run -0 bash -c "tensor2csv --no-header --id '$D/a.ts' | cut -d, -f1 | head -n 8 | tr '\n' ' '"
    [ "$output" = "6 14 18 26 33 45 50 51 " ]
    # one fold of one is everything
    split --fold 1/1 -o "$D/all1.ts" "$ALL"
    cmp "$D/all1.ts" "$ALL"
}

@test "split: --fold usage errors" {
    run -2 --separate-stderr split --fold 0/3 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --fold: 0/3: need 1 <= I <= K <= 2147483647" ]
    [ -z "$output" ]
    run -2 --separate-stderr split --fold 4/3 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --fold: 4/3: need 1 <= I <= K <= 2147483647" ]
    run -2 --separate-stderr split --fold 2/x "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --fold: expected I/K (part I of K, e.g. 2/5), got '2/x'" ]
    run -2 --separate-stderr split --fold 2 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --fold: expected I/K (part I of K, e.g. 2/5), got '2'" ]
    run -2 --separate-stderr split --fold 1/3 --sample 5 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --fold and --sample exclude each other" ]
    run -2 --separate-stderr split --ratio 0.2 --fold 1/3 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --ratio does not go with --fold" ]
    [ -z "$output" ]
}

@test "split: refuses to overwrite its input, named or on stdin" {
    cp "$ALL" "$D/copy.ts"
    run -1 --separate-stderr split --ratio 0.1 -o "$D/train.ts" -O "$ALL" "$ALL"
    [ "$stderr" = "split: $ALL: refusing to overwrite an input" ]
    run -1 --separate-stderr bash -c 'split --ratio 0.1 -o "$1" -O "$2" < "$1"' _ "$ALL" "$D/val.ts"
    [ "$stderr" = "split: $ALL: refusing to overwrite an input" ]
    cmp "$ALL" "$D/copy.ts"
    [ ! -e "$D/train.ts" ] && [ ! -e "$D/val.ts" ] || false
    run -1 --separate-stderr split --ratio 0.1 -o "$D/x.ts" -O "$D/x.ts" "$ALL"
    [ "$stderr" = "split: $D/x.ts: named for two outputs: give each its own file" ]
}

@test "split: a truncated input leaves no output behind" {
    mkdir "$D/out"
    head -c 100000 "$ALL" >"$D/t.ts"
    run -1 --separate-stderr split --ratio 0.1 -o "$D/out/train.ts" -O "$D/out/val.ts" "$D/t.ts"
    # 100000 = 32 + 126 x 792 + 176
    [ "$stderr" = "split: $D/t.ts: record 127: truncated (got 176 of 792 bytes)" ]
    run -1 --separate-stderr split --head 500 -o "$D/out/h.ts" -O "$D/out/rest.ts" "$D/t.ts"
    [ "$stderr" = "split: $D/t.ts: record 127: truncated (got 176 of 792 bytes)" ]
    run -1 --separate-stderr split --sample 5 -o "$D/out/s.ts" "$D/t.ts"
    [ -z "$(ls -A "$D/out")" ]
    # an old output stays as it was
    echo old >"$D/out/train.ts"
    run -1 split --ratio 0.1 -o "$D/out/train.ts" -O "$D/out/val.ts" "$D/t.ts"
    [ "$(cat "$D/out/train.ts")" = old ]
    [ "$(ls -A "$D/out")" = train.ts ]
}

@test "split: a truncated stream on stdout ends in a partial record" {
    head -c 100000 "$ALL" >"$D/t.ts"
    run -1 --separate-stderr bash -c 'split --head 500 "$1" | tensor2csv --no-header >/dev/null' _ "$D/t.ts"
    [[ "$stderr" == *"split: $D/t.ts: record 127: truncated (got 176 of 792 bytes)"* ]]
    [[ "$stderr" == *"tensor2csv: <stdin>: record 127: truncated"* ]]
}

@test "split: write errors are reported, devices are written, not replaced" {
    run -1 --separate-stderr split --ratio 0.1 -o /dev/full -O /dev/null "$ALL"
    [ "$stderr" = "split: /dev/full: write error: No space left on device" ]
    [ -c /dev/full ] && [ -c /dev/null ] || false
    run -1 --separate-stderr bash -c 'split --head 10 "$1" >/dev/full' _ "$ALL"
    [[ "$stderr" == "split: "*"No space left on device" ]]
    run -1 split --ratio 0.1 -o "$D/no/such/dir/t.ts" -O "$D/v.ts" "$ALL"
    [ ! -e "$D/v.ts" ]
}

@test "split: usage errors exit 2 and write nothing to stdout" {
    run -2 --separate-stderr split --ratio 1.5 -O "$D/v.ts" "$ALL"
    [ "$stderr" = "split: --ratio: 1.5 is out of range (0..1)"$'\n'"Try 'split --help' for more information." ]
    [ -z "$output" ]
    run -2 --separate-stderr split --head 3 --sample 2 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --head and --sample exclude each other" ]
    [ -z "$output" ]
    run -2 --separate-stderr split --ratio 0.2 --head 3 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --ratio does not go with --head" ]
    run -2 --separate-stderr split --ratio 0.2 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --ratio needs -O FILE for the held-out records" ]
    [ -z "$output" ]
    run -2 --separate-stderr split "$ALL"
    [ "${stderr%%$'\n'*}" = "split: the default split (--ratio 0.1) needs -O FILE for the held-out records; --head N or --sample N take the first or a random N" ]
    run -2 --separate-stderr split -o - -O - "$ALL"
    [ "${stderr%%$'\n'*}" = "split: -o and -O cannot both be stdout (-o is stdout when not given)" ]
    run -2 --separate-stderr split --sample -1 "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --sample: -1 is out of range (0..2147483647)" ]
    run -2 --separate-stderr split --seed x -O "$D/v.ts" "$ALL"
    [ "${stderr%%$'\n'*}" = "split: --seed: not an integer: 'x'" ]
    run -2 --separate-stderr split --bogus "$ALL"
    [ -z "$output" ]
    [ ! -e "$D/v.ts" ]
    run -0 split --help
    [ "${lines[0]}" = "Usage: split [OPTION]... [FILE]" ]
}
