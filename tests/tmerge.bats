#!/usr/bin/env bats
# tmerge: streams each in id order merged into one in id order (crossval's join).
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" | split --head 300 >"$T/s.ts"
}

@test "--help to stdout; usage errors exit 2" {
    run tmerge --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: tmerge [OPTION]... FILE..." ]
    [[ "$output" == *"-o, --output FILE"* ]]
    run --separate-stderr -2 tmerge
    [ "${stderr_lines[0]}" = "tmerge: no input files (give the streams to merge)" ]
    run --separate-stderr -2 tmerge - -
    [ "${stderr_lines[0]}" = "tmerge: stdin ('-') can be read once only" ]
    [ -z "$output" ]
}

@test "the folds of a stream, merged in any order, give the stream back byte for byte" {
    for i in 1 2 3; do split --fold "$i/3" --seed 5 -o "$T/f$i.ts" "$T/s.ts"; done
    tmerge "$T/f3.ts" "$T/f1.ts" "$T/f2.ts" | cmp - "$T/s.ts"
    tmerge -o "$T/m.ts" "$T/f2.ts" - "$T/f1.ts" <"$T/f3.ts"
    cmp "$T/m.ts" "$T/s.ts"
    tmerge "$T/s.ts" | cmp - "$T/s.ts"
}

@test "an id in two inputs, another shape: one line, exit 1, no output file" {
    split --fold 1/2 -o "$T/a.ts" -O "$T/b.ts" "$T/s.ts"
    run --separate-stderr -1 tmerge -o "$T/m.ts" "$T/a.ts" "$T/s.ts"
    [[ "$stderr" =~ ^"tmerge: $T/"[as]".ts: record "[0-9]+": id "[0-9]+" is also in $T/"[as]".ts"$ ]]
    [ ! -e "$T/m.ts" ]
    printf '0 0 0.9 0.1\n' | python3 "$FIX/flag-mkpreds.py" --classes 2 >"$T/p.ts"
    run --separate-stderr -1 tmerge -o "$T/m.ts" "$T/s.ts" "$T/p.ts"
    [ "$stderr" = "tmerge: $T/p.ts: 2 f32 with 2 classes, but $T/s.ts is 28x28x1 u8 with 10 classes" ]
    [ ! -e "$T/m.ts" ]
}

@test "ids out of order in one input are refused; stdout then ends with a partial record" {
    # records 200..299 then 0..99: not in id order
    split --head 200 -O "$T/tail.ts" "$T/s.ts" >/dev/null
    split --head 100 "$T/s.ts" >"$T/head.ts"
    bash -c 'tmerge "$1" >/dev/null' _ "$T/tail.ts"
    python3 - "$T/tail.ts" "$T/head.ts" "$T/swapped.ts" <<'EOF'
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
# header of a with the count of both, then a's records, then b's
n = (len(a) - 32) // 792 + (len(b) - 32) // 792
open(sys.argv[3], "wb").write(a[:24] + n.to_bytes(8, "little") + a[32:] + b[32:])
EOF
    run --separate-stderr bash -c 'tmerge "$1" | tensor2csv >/dev/null' _ "$T/swapped.ts"
    [ "$status" -eq 1 ]
    [ "${stderr_lines[0]}" = "tmerge: $T/swapped.ts: record 101: id 0 after id 299 (not in increasing id order)" ]
    [[ "${stderr_lines[1]}" == "tensor2csv: <stdin>: record 101: truncated"* ]]
}
