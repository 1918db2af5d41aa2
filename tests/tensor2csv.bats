#!/usr/bin/env bats
# tensor2csv: a tensor stream back to CSV.
load test_helper

setup() {
    TEST=$SAMPLES/fashion-mnist_test-500.csv.gz
    TRAIN=$SAMPLES/fashion-mnist_train-2000.csv.gz
    TINY=$FIX/tiny-2x2.csv
    T=$BATS_TEST_TMPDIR
}

# mkstream FILE DTYPE RANK DIMS NCLASS COUNT RECORDS: writes a stream by hand
# (python3 struct, little-endian) so that tests do not depend on our writer.
# DIMS "3" or "2,2,1"; COUNT -1 = unknown; RECORDS "id:label:v,v,v;id:label:v,...".
mkstream() {
    python3 - "$@" <<'PY'
import struct, sys
path, dtype, rank, dims, nclass, count, recs = sys.argv[1:8]
dims = [int(d) for d in dims.split(",")] + [0, 0, 0]
count = (1 << 64) - 1 if int(count) < 0 else int(count)
out = b"FMTS" + struct.pack("<HBB3IHHQ", 1, int(dtype), int(rank), *dims[:3], int(nclass), 0, count)
fmt = "<%d%s" % (1, "f" if dtype == "2" else "B")
for r in filter(None, recs.split(";")):
    i, l, vs = r.split(":")
    out += struct.pack("<Ii", int(i), int(l))
    for v in vs.split(","):
        out += struct.pack("<f", float(v)) if dtype == "2" else struct.pack("<B", int(v))
open(path, "wb").write(out)
PY
}

@test "round trip with --header: samples byte for byte" {
    run bash -c 'csv2tensor "$1" | tensor2csv --header | cmp - <(zcat "$1")' _ "$TEST"
    [ "$status" -eq 0 ]
    run bash -c 'csv2tensor "$1" | tensor2csv -H | cmp - <(zcat "$1")' _ "$TRAIN"
    [ "$status" -eq 0 ]
}

@test "stream from a file argument, --id column" {
    csv2tensor -s 2x2 "$TINY" >"$T/s"
    run tensor2csv --id --header "$T/s"
    [ "$status" -eq 0 ]
    [ "$output" = $'id,label,pixel1,pixel2,pixel3,pixel4\n0,3,0,1,254,255\n1,9,10,20,30,40\n2,0,7,0,0,200' ]
}

@test "a hand-written u8 stream (not from our writer) reads as expected" {
    mkstream "$T/s" 1 3 2,1,1 10 2 "4:1:0,255;9:-1:7,8"
    run tensor2csv -i "$T/s"
    [ "$status" -eq 1 ] # second record unlabelled
    mkstream "$T/s" 1 3 2,1,1 10 2 "4:1:0,255;9:2:7,8"
    run tensor2csv -i -H "$T/s"
    [ "$output" = $'id,label,pixel1,pixel2\n4,1,0,255\n9,2,7,8' ]
}

@test "f32 streams print with 9 significant digits and round-trip exactly" {
    mkstream "$T/f" 2 1 4 10 -1 "5:2:0.1,0.3333333333,-2.5e-38,3.4e38;6:7:1,0,-0,1e-45"
    run --separate-stderr tensor2csv --header "$T/f"
    [ "$status" -eq 0 ]
    [ "$output" = $'label,p0,p1,p2,p3\n2,0.100000001,0.333333343,-2.49999998e-38,3.39999995e+38\n7,1,0,-0,1.40129846e-45' ]
    # every printed value parses back to the same float32 bits
    run python3 -c '
import struct, sys
vals = [0.1, 0.3333333333, -2.5e-38, 3.4e38, 1, 0, -0.0, 1e-45]
text = sys.argv[1].split("\n")[1:]
got = [float(x) for line in text for x in line.split(",")[1:]]
b = lambda v: struct.pack("<f", v)
sys.exit(0 if [b(v) for v in vals] == [b(v) for v in got] else 1)' "$output"
    [ "$status" -eq 0 ]
}

@test "unlabelled stream: no label column" {
    mkstream "$T/s" 1 1 3 0 -1 "0:-1:1,2,3;1:-1:4,5,6"
    run tensor2csv -H "$T/s"
    [ "$output" = $'pixel1,pixel2,pixel3\n1,2,3\n4,5,6' ]
}

@test "empty stream: nothing, or the header row" {
    mkstream "$T/s" 1 1 3 10 0 ""
    run tensor2csv --no-header "$T/s"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    run tensor2csv -H "$T/s"
    [ "$output" = "pixel1,pixel2,pixel3" ]
}

# ---- bad streams: exact message, exit 1 ------------------------------------------

@test "empty input" {
    run --separate-stderr tensor2csv </dev/null
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: <stdin>: empty input (expected a tensor stream)" ]
}

@test "bad magic (a CSV given instead of a stream)" {
    run --separate-stderr tensor2csv "$TINY"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $TINY: not a tensor stream (bad magic; convert CSV with csv2tensor)" ]
    [ -z "$output" ]
}

@test "truncated header" {
    run --separate-stderr bash -c 'printf "FMTS\1\0\1\1" | tensor2csv'
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: <stdin>: truncated header (got 8 of 32 bytes)" ]
}

@test "unknown version, type, rank; zero and absurd dimensions" {
    mkstream "$T/s" 1 1 3 10 -1 ""
    printf '\2' | dd of="$T/s" bs=1 seek=4 conv=notrunc status=none
    run --separate-stderr tensor2csv "$T/s"
    [ "$stderr" = "tensor2csv: $T/s: stream format version 2, this program reads version 1" ]
    mkstream "$T/s" 7 1 3 10 -1 ""
    run --separate-stderr tensor2csv "$T/s"
    [ "$stderr" = "tensor2csv: $T/s: header: unknown element type 7 (known: 1 = u8, 2 = f32)" ]
    mkstream "$T/s" 1 4 3 10 -1 ""
    run --separate-stderr tensor2csv "$T/s"
    [ "$stderr" = "tensor2csv: $T/s: header: rank 4 out of range (1..3)" ]
    mkstream "$T/s" 1 2 3,0 10 -1 ""
    run --separate-stderr tensor2csv "$T/s"
    [ "$stderr" = "tensor2csv: $T/s: header: dimension 2 is zero" ]
    mkstream "$T/s" 1 3 65536,65536,65536 10 -1 ""
    run --separate-stderr tensor2csv "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: header: record of more than 67108864 elements (limit of this format)" ]
}

@test "truncated record names the record" {
    csv2tensor "$TEST" | head -c 1000 >"$T/s"
    run --separate-stderr tensor2csv --no-header "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: record 2: truncated (got 176 of 792 bytes)" ]
    [ "${#lines[@]}" -eq 1 ] # record 1 was written before the error
}

@test "-o FILE: the CSV appears whole or not at all; never over the input" {
    csv2tensor "$TEST" > "$T/s"
    tensor2csv -o "$T/out.csv" "$T/s"
    zcat "$TEST" | cmp - "$T/out.csv"
    head -c 1000 "$T/s" > "$T/cut"
    echo old > "$T/out.csv"
    run --separate-stderr -1 tensor2csv -o "$T/out.csv" "$T/cut"
    [ "$stderr" = "tensor2csv: $T/cut: record 2: truncated (got 176 of 792 bytes)" ]
    [ "$(cat "$T/out.csv")" = old ]   # left as it was
    ! compgen -G "$T/out.csv.tmp.*" || false
    run --separate-stderr -1 tensor2csv -o "$T/s" "$T/s"
    [ "$stderr" = "tensor2csv: $T/s: refusing to overwrite an input" ]
}

@test "label out of range" {
    mkstream "$T/s" 1 1 2 10 -1 "0:1:1,2;1:10:3,4"
    run --separate-stderr tensor2csv "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: record 2: label 10 out of range (0..9, or -1 for none)" ]
}

@test "record count: fewer or more records than the header says" {
    mkstream "$T/s" 1 1 2 10 3 "0:1:1,2;1:2:3,4"
    run --separate-stderr tensor2csv "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: truncated stream: header says 3 records, got 2" ]
    mkstream "$T/s" 1 1 2 10 1 "0:1:1,2;1:2:3,4"
    run --separate-stderr tensor2csv "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: record 2: more records than the header's count of 1" ]
}

@test "labelled and unlabelled records mixed" {
    mkstream "$T/s" 1 1 2 10 -1 "0:1:1,2;1:-1:3,4"
    run --separate-stderr tensor2csv "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/s: record 2: no label, unlike the first record" ]
}

@test "missing file" {
    run --separate-stderr tensor2csv "$T/none"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/none: No such file or directory" ]
}

# ---- usage, help, output errors ------------------------------------------------

@test "usage errors: exit 2, nothing on stdout" {
    for args in "--bogus" "-x" "a b"; do
        run --separate-stderr tensor2csv $args </dev/null
        [ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
        [ -z "$output" ]
        [[ "$stderr" == *"Try 'tensor2csv --help' for more information." ]]
    done
}

@test "--help to stdout, exit 0; --version" {
    run --separate-stderr tensor2csv --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: tensor2csv [OPTION]... [FILE]" ]
    run tensor2csv --version
    [ "$status" -eq 0 ]
    [[ "$output" == "tensor2csv (fashion-mnist filters) "* ]]
}

@test "writing to /dev/full fails with a message" {
    csv2tensor "$TEST" >"$T/s"
    run --separate-stderr bash -c 'tensor2csv "$1" >/dev/full' _ "$T/s"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: write error on <stdout>: No space left on device" ]
}

@test "| head -c 100 ends quietly" {
    csv2tensor "$TRAIN" >"$T/s"
    run --separate-stderr bash -c 'tensor2csv "$1" | head -c 100 | wc -c; echo "${PIPESTATUS[0]}"' _ "$T/s"
    [ "${lines[0]}" -eq 100 ]
    [ "${lines[1]}" -eq 141 ]
    [ -z "$stderr" ]
}

# ---- prediction streams: one easy row per record (issue 19) ------------------

@test "predictions: id,label,predicted,name,probability,p0..p9 from a real model, agreeing with confmat" {
    zcat "$TRAIN" | head -n 301 | csv2tensor > "$T/train.ts"
    train -q -a "$SAMPLES/small.arch" -e 1 -j 2 --seed 1 -o "$T/tiny.bin" "$T/train.ts"
    csv2tensor "$TEST" | predict -j 2 "$T/tiny.bin" > "$T/p.ts"
    run --separate-stderr tensor2csv -o "$T/p.csv" "$T/p.ts"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "$(head -n 1 "$T/p.csv")" = "id,label,predicted,name,probability,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" ]
    [ "$(wc -l < "$T/p.csv")" -eq 501 ]
    # ids and labels are the test sample's, in order
    [ "$(cut -d, -f1 "$T/p.csv" | sed -n '2p;501p' | tr '\n' ' ')" = "0 499 " ]
    [ "$(tail -n +2 "$T/p.csv" | cut -d, -f2 | md5sum)" = "$(zcat "$TEST" | tail -n +2 | cut -d, -f1 | md5sum)" ]
    # predicted is the top class, probability its score, name its Fashion-MNIST name
    run awk -F, -v names='T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot' '
        BEGIN { split(names, name, ",") }
        NR > 1 {
            top = 0; for (k = 1; k < 10; k++) if ($(6 + k) > $(6 + top)) top = k
            if ($3 != top || $5 != $(6 + top) || $4 != name[top + 1]) { print "line " NR ": " $0; bad++ }
        }
        END { exit bad > 0 }' "$T/p.csv"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    # the share of rows with label = predicted is confmat's accuracy
    correct=$(awk -F, 'NR > 1 && $2 == $3' "$T/p.csv" | wc -l)
    confmat "$T/p.ts" | grep -q "^accuracy: .* ($correct of 500 correct;"
}

@test "predictions: exact rows, ties to the lower class, an unlabelled record, names from --class-names quoted" {
    printf '0 0 0.5 0.25 0.25\n1 2 0.125 0.375 0.5\n7 -1 0.375 0.375 0.25\n' |
        python3 "$FIX/flag-mkpreds.py" --classes 3 > "$T/p.ts"
    run --separate-stderr tensor2csv "$T/p.ts"
    [ "$status" -eq 0 ]
    [ "$output" = $'id,label,predicted,name,probability,p0,p1,p2\n0,0,0,class 0,0.5,0.5,0.25,0.25\n1,2,2,class 2,0.5,0.125,0.375,0.5\n7,,0,class 0,0.375,0.375,0.375,0.25' ]
    printf 'Shirt, "casual"\nTrouser\nBag\n' > "$T/names"
    run --separate-stderr tensor2csv --no-header --class-names "$T/names" "$T/p.ts"
    [ "$status" -eq 0 ]
    [ "$output" = $'0,0,0,"Shirt, ""casual""",0.5,0.5,0.25,0.25\n1,2,2,Bag,0.5,0.125,0.375,0.5\n7,,0,"Shirt, ""casual""",0.375,0.375,0.375,0.25' ]
    # --raw: the values alone, as for any f32 stream
    run --separate-stderr tensor2csv --raw --no-header "$T/p.ts"
    [ "$status" -eq 1 ]
    [ "$stderr" = "tensor2csv: $T/p.ts: record 3: no label, unlike the first record" ]
    [ "$output" = $'0,0.5,0.25,0.25\n2,0.125,0.375,0.5' ]
}

@test "predictions: --class-names refused for other streams, with --raw, or with the wrong number of names" {
    csv2tensor "$TEST" > "$T/img.ts"
    run --separate-stderr -1 tensor2csv --class-names "$FIX/flag-quote.names" "$T/img.ts"
    [ "$stderr" = "tensor2csv: $T/img.ts: --class-names: not a prediction stream (one f32 score per class)" ]
    [ -z "$output" ]
    run --separate-stderr -2 tensor2csv --raw --class-names "$FIX/flag-quote.names" "$T/img.ts"
    [ "${stderr_lines[0]}" = "tensor2csv: --raw prints no class names: give --class-names or --raw, not both" ]
    printf '0 0 0.5 0.25 0.25\n' | python3 "$FIX/flag-mkpreds.py" --classes 3 > "$T/p.ts"
    run --separate-stderr -1 tensor2csv --class-names "$FIX/flag-quote.names" -o "$T/out.csv" "$T/p.ts"
    [ "$stderr" = "tensor2csv: $FIX/flag-quote.names: 2 class names, expected 3" ]
    [ ! -e "$T/out.csv" ]
}
