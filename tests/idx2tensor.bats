#!/usr/bin/env bats
# idx2tensor: the original IDX files (gzip or plain) to a tensor stream.
load test_helper

setup() {
    T=$BATS_TEST_TMPDIR
}

# mkidx FILE TYPE DIMS [DATA]: an IDX file with big-endian DIMS ("3,2,2");
# DATA is comma-separated byte values, or by default byte i = i mod 256 for
# every element; "cut:N" keeps only the first N data bytes.
mkidx() {
    python3 - "$@" <<'PY'
import struct, sys
path, typ, dims = sys.argv[1:4]
data = sys.argv[4] if len(sys.argv) > 4 else ""
dims = [int(d) for d in dims.split(",")]
n = 1
for d in dims[1:]:
    n *= d
n *= dims[0]
body = bytes(i % 256 for i in range(n))
if data.startswith("cut:"):
    body = body[:int(data[4:])]
elif data:
    body = bytes(int(v) for v in data.split(","))
hdr = bytes([0, 0, int(typ, 0), len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
open(path, "wb").write(hdr + body)
PY
}

@test "images + labels: CSV as expected, ids 0.., count in the header even on a pipe" {
    mkidx "$T/img" 8 3,2,2
    mkidx "$T/lab" 8 3 "7,0,9"
    run bash -c 'idx2tensor "$1" "$2" | tensor2csv --id --header' _ "$T/img" "$T/lab"
    [ "$status" -eq 0 ]
    [ "$output" = $'id,label,pixel1,pixel2,pixel3,pixel4\n0,7,0,1,2,3\n1,0,4,5,6,7\n2,9,8,9,10,11' ]
    run bash -c 'idx2tensor "$1" "$2" | od -An -j24 -N8 -t u8 | tr -d " "' _ "$T/img" "$T/lab"
    [ "$output" -eq 3 ]
    run bash -c 'idx2tensor "$1" | od -An -j4 -N16 -t u1 | tr -s " "' _ "$T/img"
    [ "$output" = " 1 0 1 3 2 0 0 0 2 0 0 0 1 0 0 0" ]
}

@test "gzip-compressed and plain files read alike" {
    mkidx "$T/img" 8 3,2,2
    mkidx "$T/lab" 8 3 "7,0,9"
    gzip -k "$T/img" "$T/lab"
    run bash -c 'cmp <(idx2tensor "$1" "$2") <(idx2tensor "$1.gz" "$2.gz")' _ "$T/img" "$T/lab"
    [ "$status" -eq 0 ]
}

@test "'-' reads either file from stdin (plain or gzip), not both" {
    mkidx "$T/img" 8 3,2,2
    mkidx "$T/lab" 8 3 "7,0,9"
    gzip -k "$T/img"
    idx2tensor "$T/img" "$T/lab" > "$T/want.ts"
    run bash -c 'idx2tensor - "$1" < "$2" | cmp - "$3"' _ "$T/lab" "$T/img.gz" "$T/want.ts"
    [ "$status" -eq 0 ]
    run bash -c 'idx2tensor "$1" - < "$2" | cmp - "$3"' _ "$T/img" "$T/lab" "$T/want.ts"
    [ "$status" -eq 0 ]
    run --separate-stderr -2 idx2tensor - - < "$T/img"
    [ "${stderr_lines[0]}" = "idx2tensor: standard input (-) given more than once" ]
}

@test "images only: labels -1" {
    mkidx "$T/img" 8 2,1,3
    run bash -c 'idx2tensor "$1" | tensor2csv --no-header -i' _ "$T/img"
    [ "$output" = $'0,0,1,2\n1,3,4,5' ]
}

@test "rank-4 images: N x H x W x C" {
    mkidx "$T/img" 8 1,1,2,3
    run bash -c 'idx2tensor "$1" | od -An -j7 -N13 -t u1 | tr -s " "' _ "$T/img"
    [ "$output" = " 3 1 0 0 0 2 0 0 0 3 0 0 0" ]
}

@test "round trip through CSV and back to the same stream" {
    mkidx "$T/img" 8 5,28,28
    mkidx "$T/lab" 8 5 "1,2,3,4,5"
    idx2tensor "$T/img" "$T/lab" >"$T/a"
    tensor2csv -H "$T/a" | csv2tensor >"$T/b"
    cmp "$T/a" "$T/b"
}

# ---- bad files: exact message, exit 1 --------------------------------------------

@test "bad magic, unsupported type, unsupported rank, truncated header" {
    printf 'label,pixel1\n' >"$T/x"
    run --separate-stderr idx2tensor "$T/x"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/x: not an IDX file (bad magic)" ]
    mkidx "$T/x" 0x0D 3,2,2 "0"
    run --separate-stderr idx2tensor "$T/x"
    [ "$stderr" = "idx2tensor: $T/x: IDX element type 0x0d not supported (only 0x08, unsigned byte)" ]
    printf '\0\0\10\5' >"$T/x"
    run --separate-stderr idx2tensor "$T/x"
    [ "$stderr" = "idx2tensor: $T/x: IDX rank 5 not supported (1..4)" ]
    printf '\0\0\10\3\0\0\0\1\0\0' >"$T/x"
    run --separate-stderr idx2tensor "$T/x"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/x: truncated IDX header" ]
    : >"$T/x"
    run --separate-stderr idx2tensor "$T/x"
    [ "$stderr" = "idx2tensor: $T/x: not an IDX file (bad magic)" ]
}

@test "zero or absurd image dimensions" {
    mkidx "$T/x" 8 3,0,2 ""
    run --separate-stderr idx2tensor "$T/x"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/x: IDX dimension 2 is 0 (1..65536)" ]
    printf '\0\0\10\3\0\0\0\1\0\1\0\0\0\1\0\0' >"$T/x"
    run --separate-stderr idx2tensor "$T/x"
    [ "$stderr" = "idx2tensor: $T/x: IDX items of 4294967296 bytes are too large" ]
}

@test "images file of the wrong rank, labels of the wrong rank" {
    mkidx "$T/lab" 8 3 "1,2,3"
    run --separate-stderr idx2tensor "$T/lab"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/lab: IDX rank 1: expected images (N x H x W [x C])" ]
    mkidx "$T/img" 8 3,2,2
    run --separate-stderr idx2tensor "$T/img" "$T/img"
    [ "$stderr" = "idx2tensor: $T/img: IDX rank 3: expected labels (N)" ]
}

@test "image and label counts differ" {
    mkidx "$T/img" 8 3,2,2
    mkidx "$T/lab" 8 2 "1,2"
    run --separate-stderr idx2tensor "$T/img" "$T/lab"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/img has 3 images but $T/lab has 2 labels" ]
    [ -z "$output" ]
}

@test "label out of range" {
    mkidx "$T/img" 8 3,2,2
    mkidx "$T/lab" 8 3 "1,10,2"
    run --separate-stderr bash -c 'idx2tensor "$1" "$2" | tensor2csv --no-header' _ "$T/img" "$T/lab"
    [ "$status" -eq 1 ]
    [ "$output" = "1,0,1,2,3" ]
    [ "$stderr" = $'idx2tensor: '"$T/lab"$': item 2: label 10 out of range (0..9)\ntensor2csv: <stdin>: record 2: truncated (got 1 of 12 bytes)' ]
    run bash -c 'idx2tensor -k 11 "$1" "$2" | tensor2csv --no-header' _ "$T/img" "$T/lab"
    [ "$status" -eq 0 ]
}

@test "truncated data names the item, and the stream downstream is truncated" {
    mkidx "$T/img" 8 3,2,2 cut:10
    run --separate-stderr bash -c 'idx2tensor "$1" | tensor2csv --no-header' _ "$T/img"
    [ "$status" -eq 1 ]
    [ "$output" = $'0,1,2,3\n4,5,6,7' ]
    [ "$stderr" = $'idx2tensor: '"$T/img"$': item 3: truncated (got 2 of 4 bytes; header says 3 items)\ntensor2csv: <stdin>: record 3: truncated (got 1 of 12 bytes)' ]
}

@test "truncated gzip" {
    { printf '\0\0\10\3\0\0\0\144\0\0\0\34\0\0\0\34'; head -c 78400 /dev/urandom; } | gzip -c | head -c 20000 >"$T/img.gz"
    run --separate-stderr idx2tensor "$T/img.gz"
    [ "$status" -eq 1 ]
    [[ "$stderr" =~ ^"idx2tensor: $T/img.gz: item "[0-9]+": truncated gzip input (unexpected end of file)"$ ]]
}

@test "missing file" {
    run --separate-stderr idx2tensor "$T/none"
    [ "$status" -eq 1 ]
    [ "$stderr" = "idx2tensor: $T/none: No such file or directory" ]
}

# ---- usage, help, output errors ------------------------------------------------

@test "usage errors: exit 2, nothing on stdout" {
    mkidx "$T/img" 8 3,2,2
    for args in "" "--bogus $T/img" "$T/img $T/img $T/img" "-k 0 $T/img" "-k x $T/img"; do
        run --separate-stderr idx2tensor $args
        [ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
        [ -z "$output" ]
        [[ "$stderr" == *"Try 'idx2tensor --help' for more information." ]]
    done
    run --separate-stderr idx2tensor
    [ "$stderr" = $'idx2tensor: missing IMAGES file (\'-\' for stdin)\nTry \'idx2tensor --help\' for more information.' ]
}

@test "--help to stdout, exit 0; --version" {
    run --separate-stderr idx2tensor --help
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "Usage: idx2tensor [OPTION]... IMAGES [LABELS]" ]
    run idx2tensor --version
    [ "$status" -eq 0 ]
    [[ "$output" == "idx2tensor (fashion-mnist filters) "* ]]
}

@test "writing to /dev/full fails with a message" {
    mkidx "$T/img" 8 100,28,28
    run --separate-stderr bash -c 'idx2tensor "$1" >/dev/full' _ "$T/img"
    [ "$status" -eq 1 ]
    [[ "$stderr" =~ ^"idx2tensor: <stdout>: "(record [0-9]+: )?"write error: No space left on device"$ ]]
}

@test "| head -c 100 ends quietly" {
    mkidx "$T/img" 8 1000,28,28
    run --separate-stderr bash -c 'idx2tensor "$1" | head -c 100 | wc -c; echo "${PIPESTATUS[0]}"' _ "$T/img"
    [ "${lines[0]}" -eq 100 ]
    [ "${lines[1]}" -eq 141 ]
    [ -z "$stderr" ]
}
