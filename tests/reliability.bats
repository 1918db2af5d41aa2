#!/usr/bin/env bats
# Reliability: the bad-input matrix across every filter, full disks and closed
# pipes, no partial output files, train killed and resumed, fuzz regressions.
# Every case asserts the exact message and the exit status.

load test_helper

# mkstream FILE [KEY=VALUE]...: a tensor stream written byte by byte, so that
# headers no filter would write can be made. Keys: magic version dtype rank
# dims (a,b,c) nclass reserved count; records "id:label:v,v,...;..." (values
# as u8 or f32 per dtype); cut N keeps the first N bytes.
mkstream() {
    python3 - "$@" <<'EOF'
import struct, sys
a = dict(magic='FMTS', version='1', dtype='1', rank='3', dims='2,2,1', nclass='10', reserved='0',
         count=str(2**64 - 1), records='', cut='')
for kv in sys.argv[2:]:
    k, v = kv.split('=', 1)
    a[k] = v
dims = [int(x) for x in a['dims'].split(',')] + [0, 0, 0]
data = a['magic'].encode() + struct.pack('<HBB3IHHQ', int(a['version']), int(a['dtype']), int(a['rank']),
                                         *dims[:3], int(a['nclass']), int(a['reserved']), int(a['count']))
for r in filter(None, a['records'].split(';')):
    i, l, p = r.split(':')
    v = p.split(',') if p else []
    pay = bytes(int(x) for x in v) if a['dtype'] == '1' else struct.pack('<%df' % len(v), *map(float, v))
    data += struct.pack('<Ii', int(i), int(l)) + pay
if a['cut']:
    data = data[:int(a['cut'])]
open(sys.argv[1], 'wb').write(data)
EOF
}

# no_output PATH: neither PATH nor a temporary PATH.tmp.* was left behind
no_output() {
    [ ! -e "$1" ]
    ! compgen -G "$1.tmp.*" >/dev/null
}

setup_file() {
    export M="$BATS_FILE_TMPDIR"
    # a tiny model on 2x2 images (trains in milliseconds) and a 2x2 stream for it
    printf 'input 2 2 1\nflatten\ndense 10\nsoftmax\n' > "$M/tiny.arch"
    csv2tensor -s 2x2x1 "$FIX/tiny-2x2.csv" > "$M/tiny.ts"
    train -q -a "$M/tiny.arch" -e 1 -j 1 -o "$M/tiny.bin" "$M/tiny.ts"
    predict -j 1 "$M/tiny.bin" "$M/tiny.ts" > "$M/tiny.preds"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -3 | csv2tensor > "$M/two28.ts"
}

setup() {
    T="$BATS_TEST_TMPDIR"
}

# ==================================================================== streams

@test "stream: empty input" {
    run --separate-stderr -1 tensor2csv --no-header < /dev/null
    [ "$stderr" = "tensor2csv: <stdin>: empty input (expected a tensor stream)" ]
    [ -z "$output" ]
}

@test "stream: truncated header" {
    mkstream "$T/s.ts" cut=20
    run --separate-stderr -1 predict "$M/tiny.bin" "$T/s.ts"
    [ "$stderr" = "predict: $T/s.ts: truncated header (got 20 of 32 bytes)" ]
    [ -z "$output" ]
}

@test "stream: wrong magic" {
    mkstream "$T/s.ts" magic=FMTX
    run --separate-stderr -1 tensor2csv --no-header "$T/s.ts"
    [ "$stderr" = "tensor2csv: $T/s.ts: not a tensor stream (bad magic; convert CSV with csv2tensor)" ]
}

@test "stream: a CSV given where a stream is expected" {
    run --separate-stderr -1 stats "$FIX/tiny-2x2.csv"
    [ "$stderr" = "stats: $FIX/tiny-2x2.csv: not a tensor stream (bad magic; convert CSV with csv2tensor)" ]
}

@test "stream: a future format version" {
    mkstream "$T/s.ts" version=2
    run --separate-stderr -1 stats "$T/s.ts"
    [ "$stderr" = "stats: $T/s.ts: stream format version 2, this program reads version 1" ]
    [ -z "$output" ]
}

@test "stream: unknown element type" {
    mkstream "$T/s.ts" dtype=7
    run --separate-stderr -1 split -r 0.5 -o "$T/a.ts" -O "$T/b.ts" "$T/s.ts"
    [ "$stderr" = "split: $T/s.ts: header: unknown element type 7 (known: 1 = u8, 2 = f32)" ]
    no_output "$T/a.ts"
    no_output "$T/b.ts"
}

@test "stream: rank 0 and rank 4" {
    mkstream "$T/s.ts" rank=0
    run --separate-stderr -1 tensor2csv --no-header "$T/s.ts"
    [ "$stderr" = "tensor2csv: $T/s.ts: header: rank 0 out of range (1..3)" ]
    mkstream "$T/s.ts" rank=4
    run --separate-stderr -1 tensor2csv --no-header "$T/s.ts"
    [ "$stderr" = "tensor2csv: $T/s.ts: header: rank 4 out of range (1..3)" ]
}

@test "stream: a zero dimension" {
    mkstream "$T/s.ts" dims=0,2,1
    run --separate-stderr -1 tensor2csv --no-header "$T/s.ts"
    [ "$stderr" = "tensor2csv: $T/s.ts: header: dimension 1 is zero" ]
}

@test "stream: a negative dimension (read as u32)" {
    mkstream "$T/s.ts" dims=4294967295,2,1
    run --separate-stderr -1 predict "$M/tiny.bin" "$T/s.ts"
    [ "$stderr" = "predict: $T/s.ts: header: dimension 1 is 4294967295 (limit 16777216)" ]
    [ -z "$output" ]
}

@test "stream: dimensions whose product overflows" {
    mkstream "$T/s.ts" dims=16777216,16777216,16777216
    run --separate-stderr -1 stats "$T/s.ts"
    [ "$stderr" = "stats: $T/s.ts: header: record of more than 67108864 elements (limit of this format)" ]
}

@test "stream: a dimension past the rank" {
    mkstream "$T/s.ts" rank=1 dims=4,2,1
    run --separate-stderr -1 stats "$T/s.ts"
    [ "$stderr" = "stats: $T/s.ts: header: dimension 2 is 2 past rank 1 (must be 0)" ]
}

@test "stream: reserved field not zero" {
    mkstream "$T/s.ts" reserved=1
    run --separate-stderr -1 confmat "$T/s.ts"
    [ "$stderr" = "confmat: $T/s.ts: reserved header field is not zero (damaged stream?)" ]
}

@test "stream: truncated record; split leaves no output files" {
    mkstream "$T/s.ts" records="0:1:1,2,3,4;1:2:5,6" 
    run --separate-stderr -1 split -r 0.5 -o "$T/a.ts" -O "$T/b.ts" "$T/s.ts"
    [ "$stderr" = "split: $T/s.ts: record 2: truncated (got 10 of 12 bytes)" ]
    no_output "$T/a.ts"
    no_output "$T/b.ts"
}

@test "stream: truncated record; an existing output is left as it was" {
    mkstream "$T/s.ts" records="0:1:1,2,3,4;1:2:5,6"
    echo keep > "$T/a.ts"
    run --separate-stderr -1 split -n 5 -o "$T/a.ts" "$T/s.ts"
    [ "$stderr" = "split: $T/s.ts: record 2: truncated (got 10 of 12 bytes)" ]
    [ "$(cat "$T/a.ts")" = keep ]
    ! compgen -G "$T/a.ts.tmp.*" || false
}

@test "stream: fewer records than the header's count" {
    mkstream "$T/s.ts" count=3 records="0:1:1,2,3,4"
    run --separate-stderr -1 tensor2csv --no-header "$T/s.ts"
    [ "$stderr" = "tensor2csv: $T/s.ts: truncated stream: header says 3 records, got 1" ]
}

@test "stream: label out of range" {
    mkstream "$T/s.ts" records="0:12:1,2,3,4"
    run --separate-stderr -1 stats "$T/s.ts"
    [ "$stderr" = "stats: $T/s.ts: record 1: label 12 out of range (0..9, or -1 for none)" ]
}

@test "stream: negative label other than -1" {
    mkstream "$T/s.ts" records="0:-2:1,2,3,4"
    run --separate-stderr -1 predict "$M/tiny.bin" "$T/s.ts"
    [ "$stderr" = "predict: $T/s.ts: record 1: label -2 out of range (0..9, or -1 for none)" ]
}

@test "stream: header only (no records) where records are needed" {
    mkstream "$T/s.ts"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 -o "$T/m.bin" "$T/s.ts"
    [ "$stderr" = "train: $T/s.ts: no records" ]
    no_output "$T/m.bin"
    mkstream "$T/p.ts" dtype=2 rank=1 dims=10,0,0
    run --separate-stderr -1 confmat "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: no records (nothing to evaluate)" ]
}

@test "stream: shape does not fit the model (predict)" {
    run --separate-stderr -1 predict "$M/tiny.bin" "$M/two28.ts"
    [ "$stderr" = "predict: $M/two28.ts: records are 28x28x1 u8, the model $M/tiny.bin takes 2x2x1 images" ]
    [ -z "$output" ]
}

@test "stream: shape does not fit the network (train)" {
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 -o "$T/m.bin" "$M/two28.ts"
    [ "$stderr" = "train: $M/two28.ts: records are 28x28x1 u8, the network takes 2x2x1 images" ]
    no_output "$T/m.bin"
}

@test "stream: labels out of range for the network (train)" {
    printf 'input 2 2 1\nflatten\ndense 3\nsoftmax\n' > "$T/three.arch"
    run --separate-stderr -1 train -q -a "$T/three.arch" -e 1 -j 1 -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $M/tiny.ts: the stream has 10 classes, the network 3 outputs" ]
    # a stream that states no class count: each label is checked
    mkstream "$T/nc0.ts" nclass=0 records="0:1:1,2,3,4;1:3:1,2,3,4"
    run --separate-stderr -1 train -q -a "$T/three.arch" -e 1 -j 1 -o "$T/m.bin" "$T/nc0.ts"
    [ "$stderr" = "train: $T/nc0.ts: record 2: label 3, the network has 3 classes" ]
    no_output "$T/m.bin"
    no_output "$T/m.bin.ckpt"
}

@test "stream: unlabelled records given to train" {
    mkstream "$T/s.ts" records="0:-1:1,2,3,4"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 -o "$T/m.bin" "$T/s.ts"
    [ "$stderr" = "train: $T/s.ts: record 1: no label (train needs labelled data)" ]
    no_output "$T/m.bin"
}

@test "stream: images given where predictions are expected (confmat, flag)" {
    run --separate-stderr -1 confmat "$M/tiny.ts"
    [ "$stderr" = "confmat: $M/tiny.ts: a 2x2x1 u8 stream is not predictions (expected f32 class scores, rank 1: run predict first)" ]
    run --separate-stderr -1 flag -b 1 -o "$T/f.csv" "$M/tiny.ts"
    [ "$stderr" = "flag: $M/tiny.ts: not a prediction stream (2x2x1 u8; expected f32 class probabilities, as predict writes)" ]
    no_output "$T/f.csv"
}

@test "stream: a NaN score in predictions" {
    mkstream "$T/p.ts" dtype=2 rank=1 dims=10,0,0 records="0:1:nan,nan,nan,nan,nan,nan,nan,nan,nan,nan"
    run --separate-stderr -1 confmat "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: record 1: score of class 0 is nan" ]
}

@test "stream: unlabelled predictions given to confmat" {
    mkstream "$T/p.ts" dtype=2 rank=1 dims=10,0,0 records="0:-1:1,0,0,0,0,0,0,0,0,0"
    run --separate-stderr -1 confmat "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: record 1: no true label (confmat needs labelled predictions)" ]
}

@test "stream: truncated predictions; confmat --png, flag -o, merge -o write nothing" {
    head -c 100 "$M/tiny.preds" > "$T/p.ts"
    run --separate-stderr -1 confmat --png "$T/cm.png" "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: record 2: truncated (got 20 of 48 bytes)" ]
    no_output "$T/cm.png"
    run --separate-stderr -1 flag -b 1 -o "$T/f.csv" "$T/p.ts"
    [ "$stderr" = "flag: $T/p.ts: record 2: truncated (got 20 of 48 bytes)" ]
    no_output "$T/f.csv"
    printf 'id,predicted,reviewer_label\n' > "$T/r.csv"
    run --separate-stderr -1 merge -r "$T/r.csv" -o "$T/m.csv" "$T/p.ts"
    [ "$stderr" = "merge: $T/p.ts: record 2: truncated (got 20 of 48 bytes)" ]
    no_output "$T/m.csv"
}

@test "stream: truncated input; stats --csv=FILE and --png-dir write nothing" {
    head -c 50 "$M/tiny.ts" > "$T/s.ts"
    run --separate-stderr -1 stats --csv="$T/st.csv" --png-dir "$T/pics" "$T/s.ts"
    [ "$stderr" = "stats: $T/s.ts: record 2: truncated (got 6 of 12 bytes)" ]
    no_output "$T/st.csv"
    [ ! -e "$T/pics/grid.png" ] && [ ! -e "$T/pics/mean-images.png" ] || false
}

# ==================================================================== model files

@test "model: one flipped byte is caught by the CRC" {
    cp "$M/tiny.bin" "$T/m.bin"
    printf '\377' | dd of="$T/m.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
    run --separate-stderr -1 predict "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/m.bin: damaged model file: checksum mismatch (truncated or corrupted copy?)" ]
    [ -z "$output" ]
}

@test "model: a truncated copy" {
    head -c 300 "$M/tiny.bin" > "$T/m.bin"
    run --separate-stderr -1 predict "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/m.bin: damaged model file: checksum mismatch (truncated or corrupted copy?)" ]
    head -c 12 "$M/tiny.bin" > "$T/m.bin"
    run --separate-stderr -1 predict "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/m.bin: damaged model file: truncated header (12 bytes)" ]
}

@test "model: wrong magic (a stream given as the model)" {
    run --separate-stderr -1 predict "$M/tiny.ts" "$M/tiny.ts"
    [ "$stderr" = "predict: $M/tiny.ts: not a model file (bad magic; make one with train)" ]
}

@test "model: empty and missing files" {
    : > "$T/m.bin"
    run --separate-stderr -1 predict "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/m.bin: not a model file (bad magic; make one with train)" ]
    run --separate-stderr -1 predict "$T/none.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/none.bin: No such file or directory" ]
}

@test "model: finite weights that overflow: predict stops at the first non-finite probability" {
    # every parameter 3e38: the loader accepts it (all finite), the sums overflow to inf - inf
    python3 -c '
import struct, sys, zlib
d = bytearray(open(sys.argv[1], "rb").read()[:-4])
o = 20 + struct.unpack_from("<I", d, 16)[0]              # magic, version, flags, arch text (lib/model_file.h)
k = struct.unpack_from("<I", d, o)[0]; o += 4
for _ in range(k):                                        # class names
    o += 2 + struct.unpack_from("<H", d, o)[0]
o += 8                                                    # normalisation mean, std
n = struct.unpack_from("<Q", d, o)[0]; o += 8
struct.pack_into("<%df" % n, d, o, *([3e38] * n))
open(sys.argv[2], "wb").write(bytes(d) + struct.pack("<I", zlib.crc32(bytes(d))))' "$M/tiny.bin" "$T/m.bin"
    run --separate-stderr -1 predict -j 1 "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $M/tiny.ts: record 1: the model $T/m.bin gives a non-finite probability (damaged weights?)" ]
}

@test "model: another format version, with a hint" {
    # version 2 with a correct CRC, so the version check is what fails
    python3 -c '
import struct, sys, zlib
d = bytearray(open(sys.argv[1], "rb").read()[:-4]); d[8:12] = struct.pack("<I", 2)
open(sys.argv[2], "wb").write(bytes(d) + struct.pack("<I", zlib.crc32(bytes(d))))' "$M/tiny.bin" "$T/m.bin"
    run --separate-stderr -1 predict "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "predict: $T/m.bin: model format version 2, this program reads version 1 (retrain it with this version's train, or use the release that wrote it)" ]
}

@test "model: resuming from a model without training state, or a damaged checkpoint" {
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 --resume --checkpoint "$M/tiny.bin" -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $M/tiny.bin: not a checkpoint (no training state)" ]
    no_output "$T/m.bin"
    head -c 100 "$M/tiny.bin" > "$T/ck"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 --resume --checkpoint "$T/ck" -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $T/ck: damaged model file: checksum mismatch (truncated or corrupted copy?)" ]
    no_output "$T/m.bin"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 --resume -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $T/m.bin.ckpt: no checkpoint to resume from (a finished run removes it unless --keep-checkpoint)" ]
}

@test "model: a checkpoint with a parameter that is not finite (found by fuzz_model)" {
    # the kept fuzz input, with the CRC-32 the harness appends
    python3 -c '
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d + struct.pack("<I", zlib.crc32(d)))' "$TOP/tests/fuzz/regressions/model/leak-state-nonfinite-param" "$T/ck"
    csv2tensor -s 4x4x1 -L <(printf '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0\n') > "$T/s.ts"
    run --separate-stderr -1 train -q --resume --checkpoint "$T/ck" -j 1 -o "$T/m.bin" "$T/s.ts"
    [ "$stderr" = "train: $T/ck: damaged model file: parameter 83 is not finite" ]
    no_output "$T/m.bin"
}

@test "model: a bad architecture file" {
    printf 'input 2 2 1\nbogus 3\nsoftmax\n' > "$T/bad.arch"
    run --separate-stderr -1 train -q -a "$T/bad.arch" -e 1 -j 1 -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $T/bad.arch: line 2: unknown layer 'bogus' (conv, dense, relu, batchnorm, maxpool, dropout, flatten, softmax)" ]
    no_output "$T/m.bin"
}

# ==================================================================== CSV

csv() { # csv NAME PRINTF-TEXT: write $T/NAME.csv
    printf "$2" > "$T/$1.csv"
}

@test "csv: empty input" {
    run --separate-stderr -1 csv2tensor < /dev/null
    [ "$stderr" = "csv2tensor: <stdin>: empty input (no CSV rows)" ]
    [ -z "$output" ]
}

@test "csv: header only gives an empty stream" {
    csv h 'label,a,b,c,d\n'
    run --separate-stderr -0 bash -c "csv2tensor -s 2x2x1 '$T/h.csv' | tensor2csv --header"
    # with no rows there is no telling whether the first column was a label
    [ "$output" = "pixel1,pixel2,pixel3,pixel4" ]
    [ -z "$stderr" ]
}

@test "csv: wrong field count; the stream ends with a partial record" {
    csv f '1,2,3,4,5\n1,2,3\n'
    run --separate-stderr -1 bash -c "set -o pipefail; csv2tensor -s 2x2x1 '$T/f.csv' | tensor2csv --no-header"
    [ "$stderr" = "csv2tensor: $T/f.csv: line 2: 3 fields, expected 5
tensor2csv: <stdin>: record 2: truncated (got 1 of 12 bytes)" ]
}

@test "csv: non-numeric value" {
    csv n '1,2,x,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/n.csv"
    [ "$stderr" = "csv2tensor: $T/n.csv: line 1, field 3: 'x' is not an integer" ]
    [ -z "$output" ]
}

@test "csv: pixel out of range" {
    csv r '1,2,300,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/r.csv"
    [ "$stderr" = "csv2tensor: $T/r.csv: line 1, field 3: value 300 out of range (0..255)" ]
}

@test "csv: negative and fractional pixels" {
    csv n '1,-2,3,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/n.csv"
    [ "$stderr" = "csv2tensor: $T/n.csv: line 1, field 2: '-2' is not an integer" ]
    csv d '1,2.5,3,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/d.csv"
    [ "$stderr" = "csv2tensor: $T/d.csv: line 1, field 2: '2.5' is not an integer" ]
}

@test "csv: label out of range" {
    csv l '12,2,3,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/l.csv"
    [ "$stderr" = "csv2tensor: $T/l.csv: line 1, field 1: label 12 out of range (0..9)" ]
}

@test "csv: unterminated quote" {
    csv q '1,"2,3,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/q.csv"
    [ "$stderr" = "csv2tensor: $T/q.csv: line 1, field 2: unterminated quote" ]
}

@test "csv: a NUL byte" {
    csv z '1,2,\0003,4,5\n'
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/z.csv"
    [ "$stderr" = "csv2tensor: $T/z.csv: line 1, field 3: '?3' is not an integer" ]
}

@test "csv: a very long field and a very wide line" {
    python3 -c "print('1,' + '1' * 100000 + ',2,3,4')" > "$T/long.csv"
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/long.csv"
    [ "$stderr" = "csv2tensor: $T/long.csv: line 1, field 2: '11111111111111111111111111111111...' is not an integer" ]
    python3 -c "print(','.join(['1'] * 100000))" > "$T/wide.csv"
    run --separate-stderr -1 csv2tensor -s 2x2x1 "$T/wide.csv"
    [ "$stderr" = "csv2tensor: $T/wide.csv: line 1: 100000 fields, expected 5 (label + 4 pixels) or 4 (pixels only)" ]
}

@test "csv: CRLF line ends and a UTF-8 BOM read like plain LF" {
    csv lf 'label,a,b,c,d\n1,2,3,4,5\n0,9,8,7,6\n'
    csv crlf '\357\273\277label,a,b,c,d\r\n1,2,3,4,5\r\n0,9,8,7,6\r\n'
    csv2tensor -s 2x2x1 "$T/lf.csv" > "$T/lf.ts"
    csv2tensor -s 2x2x1 "$T/crlf.csv" > "$T/crlf.ts"
    cmp "$T/lf.ts" "$T/crlf.ts"
}

@test "csv: a truncated gzip file" {
    head -c 5000 "$SAMPLES/fashion-mnist_test-500.csv.gz" > "$T/t.csv.gz"
    run --separate-stderr -1 bash -c "csv2tensor '$T/t.csv.gz' > '$T/t.ts'"
    [ "$stderr" = "csv2tensor: $T/t.csv.gz: line 6: truncated gzip input (unexpected end of file)" ]
    # what was written ends with a partial record: no reader takes it for complete
    run --separate-stderr -1 tensor2csv --no-header "$T/t.ts"
    [[ "$stderr" =~ ^"tensor2csv: $T/t.ts: record 5: truncated (got ".*" of 792 bytes)"$ ]]
}

@test "csv: bad --shape and --classes are usage errors" {
    run --separate-stderr -2 csv2tensor -s 0x2x1 "$FIX/tiny-2x2.csv"
    [ "$stderr" = "csv2tensor: --shape: expected HxWxC with positive sizes, got '0x2x1'
Try 'csv2tensor --help' for more information." ]
    [ -z "$output" ]
    run --separate-stderr -2 csv2tensor -k 0 "$FIX/tiny-2x2.csv"
    [ "$stderr" = "csv2tensor: --classes: 0 is out of range (1..65535)
Try 'csv2tensor --help' for more information." ]
    [ -z "$output" ]
}

@test "csv: a review sheet with an unterminated quote, an unknown id, a bad label (merge)" {
    printf 'id,predicted,reviewer_label\n0,2,"x\n' > "$T/r.csv"
    run --separate-stderr -1 merge -r "$T/r.csv" -o "$T/m.csv" "$M/tiny.preds"
    [ "$stderr" = "merge: $T/r.csv: line 2: unterminated quoted field (runs to the end of the file)" ]
    no_output "$T/m.csv"
    printf 'id,predicted,reviewer_label\n7,2,1\n' > "$T/r.csv"
    run --separate-stderr -1 merge -r "$T/r.csv" -o "$T/m.csv" "$M/tiny.preds"
    [ "$stderr" = "merge: $T/r.csv: line 2: unknown id 7 (not in the predictions)" ]
    no_output "$T/m.csv"
    printf 'foo,bar\n1,2\n' > "$T/r.csv"
    run --separate-stderr -1 merge -r "$T/r.csv" -o "$T/m.csv" "$M/tiny.preds"
    [ "$stderr" = "merge: $T/r.csv: line 1: no 'id' column (not a review sheet from flag?)" ]
    no_output "$T/m.csv"
}

# ==================================================================== IDX and NumPy

mkidx() { # mkidx FILE HEADER-HEX DATA-BYTES
    python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex(sys.argv[2]) + bytes(int(sys.argv[3])))' "$@"
}

@test "idx: bad magic, unknown type, truncated header" {
    mkidx "$T/a" 01000803000000030000000200000002 12
    run --separate-stderr -1 idx2tensor "$T/a"
    [ "$stderr" = "idx2tensor: $T/a: not an IDX file (bad magic)" ]
    mkidx "$T/a" 00000d03000000030000000200000002 12
    run --separate-stderr -1 idx2tensor "$T/a"
    [ "$stderr" = "idx2tensor: $T/a: IDX element type 0x0d not supported (only 0x08, unsigned byte)" ]
    mkidx "$T/a" 0000080300000003 0
    run --separate-stderr -1 idx2tensor "$T/a"
    [ "$stderr" = "idx2tensor: $T/a: truncated IDX header" ]
    [ -z "$output" ]
}

@test "idx: zero and enormous dimensions" {
    mkidx "$T/a" 00000803000000030000000000000002 0
    run --separate-stderr -1 idx2tensor "$T/a"
    [ "$stderr" = "idx2tensor: $T/a: IDX dimension 2 is 0 (1..65536)" ]
    mkidx "$T/a" 00000803000000030001000000010000 0
    run --separate-stderr -1 idx2tensor "$T/a"
    [ "$stderr" = "idx2tensor: $T/a: IDX items of 4294967296 bytes are too large" ]
}

@test "idx: a truncated item; the stream ends with a partial record" {
    mkidx "$T/a" 00000803000000030000000200000002 10
    run --separate-stderr -1 bash -c "set -o pipefail; idx2tensor '$T/a' | tensor2csv --no-header"
    [ "$stderr" = "idx2tensor: $T/a: item 3: truncated (got 2 of 4 bytes; header says 3 items)
tensor2csv: <stdin>: record 3: truncated (got 1 of 12 bytes)" ]
}

@test "idx: label count mismatch and label out of range" {
    mkidx "$T/i" 00000803000000030000000200000002 12
    mkidx "$T/l" 000008010000000400 3
    run --separate-stderr -1 idx2tensor "$T/i" "$T/l"
    [ "$stderr" = "idx2tensor: $T/i has 3 images but $T/l has 4 labels" ]
    mkidx "$T/l" 00000801000000030c0000 0
    run --separate-stderr -1 bash -c "idx2tensor '$T/i' '$T/l' > /dev/null"
    [ "$stderr" = "idx2tensor: $T/l: item 1: label 12 out of range (0..9)" ]
}

@test "idx: more data than the header's count is an error, not silently dropped" {
    mkidx "$T/i" 00000803000000020000000200000002 12
    run --separate-stderr -1 bash -c "idx2tensor '$T/i' > /dev/null"
    [ "$stderr" = "idx2tensor: $T/i: data after the last of the 2 items the header states (a damaged count?)" ]
    mkidx "$T/i" 00000803000000020000000200000002 8
    mkidx "$T/l" 00000801000000020102 1
    run --separate-stderr -1 bash -c "idx2tensor '$T/i' '$T/l' > /dev/null"
    [ "$stderr" = "idx2tensor: $T/l: data after the last of the 2 items the header states (a damaged count?)" ]
}

@test "npy: bad magic, Fortran order, unsupported dtype" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-bad-magic.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-bad-magic.npy: not a .npy file (bad magic)" ]
    run --separate-stderr -1 npy2tensor "$FIX/npy-fortran.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-fortran.npy: fortran_order True is not supported (save a C-order array: np.save(f, np.ascontiguousarray(a)))" ]
    run --separate-stderr -1 npy2tensor "$FIX/npy-c8.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-c8.npy: dtype '<c8' not supported (integers, bool, float32 or float64)" ]
    [ -z "$output" ]
}

@test "npy: truncated header, truncated data, trailing data, empty file" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-truncated-header.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-truncated-header.npy: truncated header (got 40 of 128 bytes)" ]
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-truncated.npy' > /dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-truncated.npy: image 3: truncated (got 100 of 784 bytes; shape (3, 784))" ]
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-trailing.npy' > /dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-trailing.npy: data after the last element (shape (3, 784))" ]
    : > "$T/e.npy"
    run --separate-stderr -1 npy2tensor "$T/e.npy"
    [ "$stderr" = "npy2tensor: $T/e.npy: empty file (expected a .npy array)" ]
}

# ==================================================================== outputs that are inputs, odd values

@test "no filter writes over one of its inputs, or two outputs into one file" {
    cp "$M/tiny.ts" "$T/d.ts"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/d.ts" "$T/d.ts"
    [ "$stderr" = "train: $T/d.ts: refusing to overwrite an input" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 --log "$T/d.ts" -o "$T/m.bin" "$T/d.ts"
    [ "$stderr" = "train: $T/d.ts: refusing to overwrite an input" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 --val "$T/d.ts" -o "$T/d.ts" "$M/tiny.ts"
    [ "$stderr" = "train: $T/d.ts: refusing to overwrite an input" ]
    cp "$M/tiny.arch" "$T/n.arch"
    run --separate-stderr -1 train -q -a "$T/n.arch" -e 1 -o "$T/n.arch" "$T/d.ts"
    [ "$stderr" = "train: $T/n.arch: refusing to overwrite an input" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/m.bin" --checkpoint "$T/m.bin" "$T/d.ts"
    [ "$stderr" = "train: $T/m.bin: named for two outputs: give each its own file" ]
    # the same file under two names that do not exist yet
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/m.bin" --log "$T/./m.bin" "$T/d.ts"
    [ "$stderr" = "train: $T/m.bin and $T/./m.bin are the same file: give each output its own" ]
    run --separate-stderr -1 split -o "$T/a.ts" -O "$T/../$(basename "$T")/a.ts" "$T/d.ts"
    [ "$stderr" = "split: $T/a.ts and $T/../$(basename "$T")/a.ts are the same file: give each output its own" ]
    run --separate-stderr -1 stats --csv="$T/r.out" --json="$T/./r.out" "$T/d.ts"
    [ "$stderr" = "stats: $T/r.out and $T/./r.out are the same file: give each output its own" ]
    run --separate-stderr -0 stats --csv=/dev/null --json=/dev/null "$T/d.ts" # devices are no files to lose
    cmp "$T/d.ts" "$M/tiny.ts" && cmp "$T/n.arch" "$M/tiny.arch" || false
    no_output "$T/m.bin"
    cp "$M/tiny.preds" "$T/p.ts"
    run --separate-stderr -1 confmat --png "$T/p.ts" "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: refusing to overwrite an input" ]
    run --separate-stderr -1 confmat --png "$T/p.ts" < "$T/p.ts"
    [ "$stderr" = "confmat: $T/p.ts: refusing to overwrite an input" ]
    printf '%s\n' a b c d e f g h i j >"$T/names.txt"
    cp "$T/names.txt" "$T/names0.txt"
    run --separate-stderr -1 flag --budget 1 -n "$T/names.txt" -o "$T/names.txt" "$T/p.ts"
    [ "$stderr" = "flag: $T/names.txt: refusing to overwrite an input" ]
    run --separate-stderr -1 merge --reviews /dev/null -n "$T/names.txt" -o "$T/names.txt" "$T/p.ts"
    [ "$stderr" = "merge: $T/names.txt: refusing to overwrite an input" ]
    cmp "$T/names.txt" "$T/names0.txt" && cmp "$T/p.ts" "$M/tiny.preds" || false
    # files a program names itself in a directory: stats' pictures, flag's thumbnails
    mkdir "$T/pics" "$T/th"
    cp "$M/tiny.ts" "$T/pics/grid.png"
    run --separate-stderr -1 stats --png-dir "$T/pics" "$T/pics/grid.png"
    [ "$stderr" = "stats: $T/pics/grid.png: refusing to overwrite an input" ]
    thumb=$(printf 'id-%06u.png' "$(flag --budget 1 "$M/tiny.preds" 2>/dev/null | sed -n 2p | cut -d, -f1)")
    cp "$M/tiny.preds" "$T/th/$thumb"
    run --separate-stderr -1 flag --budget 1 --images "$M/tiny.ts" --thumbs "$T/th" "$T/th/$thumb"
    [ "$stderr" = "flag: $T/th/$thumb: refusing to overwrite an input" ]
    cmp "$T/pics/grid.png" "$M/tiny.ts" && cmp "$T/th/$thumb" "$M/tiny.preds" || false
}

@test "an input that is also stdout's file: CSV and review sheets too" {
    cp "$FIX/tiny-2x2.csv" "$T/f.csv"
    run --separate-stderr -1 bash -c 'csv2tensor -s 2x2x1 < "$1" >> "$1"' _ "$T/f.csv"
    [ "$stderr" = "csv2tensor: <stdin>: input file is output file (stdout)" ]
    run --separate-stderr -1 bash -c 'csv2tensor -s 2x2x1 "$1" >> "$1"' _ "$T/f.csv"
    [ "$stderr" = "csv2tensor: $T/f.csv: input file is output file (stdout)" ]
    cmp "$T/f.csv" "$FIX/tiny-2x2.csv"
    flag --budget 2 -o "$T/r.csv" "$M/tiny.preds" 2>/dev/null
    run --separate-stderr -1 bash -c 'merge --reviews "$1" "$2" >> "$1"' _ "$T/r.csv" "$M/tiny.preds"
    [ "$stderr" = "merge: $T/r.csv: input file is output file (stdout)" ]
}

@test "output names checked before any work: empty, a directory" {
    mkdir "$T/dir"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/dir" "$M/tiny.ts"
    [ "$stderr" = "train: $T/dir: is a directory" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "" "$M/tiny.ts"
    [ "$stderr" = "train: empty output file name" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 --log "$T/dir" -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $T/dir: is a directory" ]
    run --separate-stderr -1 tensor2csv -o "" "$M/tiny.ts"
    [ "$stderr" = "tensor2csv: empty output file name" ]
    flag --budget 2 -o "$T/r.csv" "$M/tiny.preds" 2>/dev/null
    run --separate-stderr -1 merge --reviews "$T/r.csv" -o "" "$M/tiny.preds"
    [ "$stderr" = "merge: empty output file name" ]
}

@test "f32 images: NaN or infinite pixels are refused, with the record" {
    mkstream "$T/nan.ts" dtype=2 records="0:3:1,2,3,4;1:3:1,nan,3,4"
    run --separate-stderr -1 predict "$M/tiny.bin" "$T/nan.ts"
    [ "$stderr" = "predict: $T/nan.ts: record 2: element 2 is nan, not a finite number" ]
    mkstream "$T/inf.ts" dtype=2 records="0:3:1,2,3,inf"
    run --separate-stderr -1 stats "$T/inf.ts"
    [ "$stderr" = "stats: $T/inf.ts: record 1: element 4 is inf, not a finite number" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/m.bin" "$T/nan.ts"
    [ "$stderr" = "train: $T/nan.ts: record 2: element 2 is nan, not a finite number" ]
    no_output "$T/m.bin"
    mkstream "$T/huge.ts" dtype=2 records="0:3:3e38,3e38,-3e38,-3e38"
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -o "$T/m.bin" "$T/huge.ts"
    [[ "$stderr" == "train: $T/huge.ts: pixel values too large to normalise (mean "* ]]
}

@test "a header count that lies: no allocation from it, a clear truncation error" {
    python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[24:32] = (1 << 30).to_bytes(8, "little"); open(sys.argv[2], "wb").write(d)' "$M/two28.ts" "$T/lie.ts"
    run --separate-stderr -1 split --sample 1 -o "$T/s.ts" "$T/lie.ts"
    [ "$stderr" = "split: $T/lie.ts: truncated stream: header says 1073741824 records, got 2" ]
    run --separate-stderr -1 train -q -a small -e 1 -o "$T/m.bin" "$T/lie.ts"
    [ "$stderr" = "train: $T/lie.ts: truncated stream: header says 1073741824 records, got 2" ]
}

@test "predict: a label the model cannot have, in a stream that states no class count" {
    mkstream "$T/nc0.ts" nclass=0 records="0:3:1,2,3,4;1:50:1,2,3,4"
    run --separate-stderr -1 bash -c 'predict "$1" "$2" | confmat' _ "$M/tiny.bin" "$T/nc0.ts"
    # two processes: their lines may come in either order
    [ "${#stderr_lines[@]}" -eq 2 ]
    grep -qxF "predict: $T/nc0.ts: record 2: label 50, but the model $M/tiny.bin predicts 10 classes" <<< "$stderr"
    grep -q "^confmat: <stdin>: record 1: truncated" <<< "$stderr"
}

@test "train: a network with more outputs than a stream can number classes" {
    printf 'input 2 2 1\nflatten\ndense 70000\nsoftmax\n' >"$T/k.arch"
    run --separate-stderr -1 train -q -a "$T/k.arch" -e 1 -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: $T/k.arch: the network has 70000 outputs; a prediction stream carries at most 65535 classes" ]
    # a checkpoint that --resume could not read back is refused before training
    printf 'input 28 28 1\nflatten\ndense 85000\ndense 10\nsoftmax\n' >"$T/huge.arch"
    run --separate-stderr -1 train -q -a "$T/huge.arch" -e 1 -o "$T/m.bin" "$M/two28.ts"
    [ "$stderr" = "train: $T/huge.arch: 67575010 parameters: the checkpoint would pass the 1024 MiB a model file may hold" ]
}

@test "merge: 65535 classes need no table of 65535 x 65535" {
    python3 -c "import struct,sys;k=65535;sys.stdout.buffer.write(b'FMTS'+struct.pack('<HBB3IHHQ',1,2,1,k,0,0,k,0,1)+struct.pack('<Ii',0,3)+struct.pack('<%df'%k,*[1/k]*k))" >"$T/pk.ts"
    printf 'id,predicted,reviewer_label\n0,0,5\n' >"$T/rk.csv"
    run --separate-stderr -0 merge --reviews "$T/rk.csv" -o "$T/mk.csv" "$T/pk.ts"
    [ "$(cat "$T/mk.csv")" = $'id,final_label,final_name,source\n0,5,class 5,reviewer' ]
    [ "${stderr_lines[4]}" = "merge: most frequent corrections: class 0 -> class 5 (1)" ]
}

@test "flag and merge: stdout on a full disk is the one message, after no summary" {
    run --separate-stderr -1 bash -c 'flag --budget 2 "$1" > /dev/full' _ "$M/tiny.preds"
    [ "$stderr" = "flag: write error on <stdout>: No space left on device" ]
    flag --budget 2 -o "$T/r.csv" "$M/tiny.preds" 2>/dev/null
    run --separate-stderr -1 bash -c 'merge --reviews "$2" "$1" > /dev/full' _ "$M/tiny.preds" "$T/r.csv"
    [ "$stderr" = "merge: write error on <stdout>: No space left on device" ]
}

@test "stats and flag: --csv with --json is a usage error; a range too wide to bin" {
    run --separate-stderr -2 stats --csv --json "$M/tiny.ts"
    [ "${stderr_lines[0]}" = "stats: --csv and --json cannot both go to stdout (give one of them =FILE)" ]
    run --separate-stderr -2 flag --report --csv --json "$M/tiny.preds"
    [ "${stderr_lines[0]}" = "flag: --csv and --json exclude each other" ]
    run --separate-stderr -2 stats --range=-1e308,1e308 "$M/tiny.ts"
    [ "${stderr_lines[0]}" = "stats: --range: expected LO,HI with LO < HI, got '-1e308,1e308'" ]
}

# ==================================================================== full disk, closed pipe

@test "full disk: every stdout writer fails loudly" {
    run --separate-stderr -1 bash -c "csv2tensor -s 2x2x1 '$FIX/tiny-2x2.csv' > /dev/full"
    [ "$stderr" = "csv2tensor: <stdout>: write error: No space left on device" ]
    run --separate-stderr -1 bash -c "predict -j 1 '$M/tiny.bin' '$M/tiny.ts' > /dev/full"
    [ "$stderr" = "predict: <stdout>: write error: No space left on device" ]
    run --separate-stderr -1 bash -c "tensor2csv --no-header '$M/tiny.ts' > /dev/full"
    [[ "$stderr" =~ ^"tensor2csv: ".*"No space left on device"$ ]]
    run --separate-stderr -1 bash -c "confmat '$M/tiny.preds' > /dev/full"
    [ "$stderr" = "confmat: write error on <stdout>: No space left on device" ]
    run --separate-stderr -1 bash -c "stats '$M/tiny.ts' > /dev/full"
    [[ "$stderr" =~ ^"stats: ".*"No space left on device"$ ]]
}

@test "full disk: files named on the command line" {
    run --separate-stderr -1 confmat --png /dev/full "$M/tiny.preds"
    [ "$stderr" = "confmat: /dev/full: write error: No space left on device" ]
    [ -z "$output" ] # the picture is written first: no report from a run that failed
    run --separate-stderr -1 confmat --png "$T/nodir/cm.png" "$M/tiny.preds"
    [[ "$stderr" == "confmat: $T/nodir/cm.png: cannot create: "* ]]
    [ -z "$output" ]
    run --separate-stderr -1 split -n 1 -o /dev/full "$M/tiny.ts"
    [[ "$stderr" =~ ^"split: /dev/full: ".*"No space left on device"$ ]]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 --checkpoint "$T/ck" -o /dev/full "$M/tiny.ts"
    [ "$stderr" = "train: /dev/full: write error: No space left on device" ]
    run --separate-stderr -1 train -q -a "$M/tiny.arch" -e 1 -j 1 --checkpoint "$T/ck" --log /dev/full -o "$T/m.bin" "$M/tiny.ts"
    [ "$stderr" = "train: /dev/full: write error: No space left on device" ]
}

@test "output names: a legal name near NAME_MAX is written; one over it fails and leaves nothing" {
    mkdir "$T/names"
    long=$(printf 'c%.0s' $(seq 250))   # 250 bytes: NAME.tmp.XXXXXX would pass the 255-byte limit
    split -n 1 -o "$T/names/$long" "$M/tiny.ts"
    [ "$(ls -A "$T/names")" = "$long" ]
    rm "$T/names/$long"
    run --separate-stderr -1 split -n 1 -o "$T/names/${long}dddddd" "$M/tiny.ts"
    [[ "$stderr" == "split: $T/names/${long}dddddd: "*"File name too long" ]]
    [ -z "$(ls -A "$T/names")" ]
}

@test "closed pipe: filters end quietly on SIGPIPE (| head -c 100)" {
    run --separate-stderr bash -c "csv2tensor '$SAMPLES/fashion-mnist_train-2000.csv.gz' | tensor2csv --no-header | head -c 100 > /dev/null; echo \${PIPESTATUS[@]}"
    [ "$output" = "141 141 0" ]
    [ -z "$stderr" ]
    run --separate-stderr bash -c "csv2tensor '$SAMPLES/fashion-mnist_train-2000.csv.gz' | split -n 1000 | head -c 100 > /dev/null; echo \${PIPESTATUS[@]}"
    [ "$output" = "141 141 0" ]
    [ -z "$stderr" ]
    # the file beside the closed stdout is not left behind as a temporary either
    csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" > "$T/all.ts"
    run --separate-stderr bash -c "split --ratio 0.1 --seed 1 -o - -O '$T/val.ts' '$T/all.ts' | head -c 100 > /dev/null; echo \${PIPESTATUS[0]}"
    [ "$output" = "141" ]
    no_output "$T/val.ts"
}

# ==================================================================== interrupted training

# train_bg LOG MODEL [OPTION]...: start train in the background on $M/t600.ts
# (small.arch, 4 epochs, 1 thread, seed 3) and wait until LOG shows N epochs done.
small_data() {
    [ -e "$M/t600.ts" ] || csv2tensor "$SAMPLES/fashion-mnist_train-2000.csv.gz" | split -n 600 -o "$M/t600.ts"
}
RECIPE=(-a "$TOP/samples/small.arch" -e 4 -j 1 -s 3 -b 32)

wait_epochs() { # wait_epochs LOG N: until LOG has N epoch lines (at most 120 s)
    for _ in $(seq 1200); do
        [ -f "$1" ] && [ "$(($(wc -l < "$1") - 1))" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

@test "train: killed with SIGKILL in epoch 3, --resume gives the same model as an uninterrupted run" {
    small_data
    train -q "${RECIPE[@]}" -o "$T/full.bin" "$M/t600.ts"
    train -q "${RECIPE[@]}" --log "$T/log.csv" -o "$T/cut.bin" "$M/t600.ts" 2>"$T/err" &
    pid=$!
    wait_epochs "$T/log.csv" 2
    kill -KILL $pid
    rc=0
    wait $pid || rc=$?
    [ "$rc" -eq 137 ]
    [ ! -e "$T/cut.bin" ]           # it was interrupted before the end
    [ -e "$T/cut.bin.ckpt" ]        # with a checkpoint of a whole epoch
    ! compgen -G "$T/cut.bin.tmp.*" || false
    run --separate-stderr -0 train "${RECIPE[@]}" --resume -o "$T/cut.bin" "$M/t600.ts"
    [[ "$stderr" =~ "train: resuming $T/cut.bin.ckpt after epoch "[12]" " ]]
    [ ! -e "$T/cut.bin.ckpt" ]      # finished: the checkpoint is gone
    predict -j 1 "$T/full.bin" "$M/t600.ts" > "$T/full.preds"
    predict -j 1 "$T/cut.bin" "$M/t600.ts" > "$T/cut.preds"
    cmp "$T/full.preds" "$T/cut.preds"
}

@test "train: SIGINT stops cleanly with exit 130, the best model written, and resumes to the same model" {
    small_data
    train -q "${RECIPE[@]}" -o "$T/full.bin" "$M/t600.ts"
    train -q "${RECIPE[@]}" --log "$T/log.csv" -o "$T/int.bin" "$M/t600.ts" 2>"$T/err" &
    pid=$!
    wait_epochs "$T/log.csv" 1
    kill -INT $pid
    rc=0
    wait $pid || rc=$?
    [ "$rc" -eq 130 ]
    [[ "$(cat "$T/err")" =~ ^"train: interrupted in epoch "[2-4]": best model (epoch "[1-3]") written to $T/int.bin; continue with --resume"$ ]]
    predict -j 1 "$T/int.bin" "$M/t600.ts" > /dev/null   # a usable model
    [ -e "$T/int.bin.ckpt" ]
    train -q "${RECIPE[@]}" --resume -o "$T/int.bin" "$M/t600.ts"
    predict -j 1 "$T/full.bin" "$M/t600.ts" > "$T/full.preds"
    predict -j 1 "$T/int.bin" "$M/t600.ts" > "$T/int.preds"
    cmp "$T/full.preds" "$T/int.preds"
}

@test "train: SIGINT before the first epoch ends says that no model exists yet, exit 1, nothing left behind" {
    small_data
    # the default network: an epoch of 540 images takes about a second on one thread
    train -a default -e 2 -j 1 -b 32 -o "$T/first.bin" "$M/t600.ts" 2>"$T/err" &
    pid=$!
    for _ in $(seq 600); do grep -q 'training images' "$T/err" && break; sleep 0.05; done
    kill -INT $pid
    rc=0
    wait $pid || rc=$?
    [ "$rc" -eq 1 ]
    [ "$(tail -n 1 "$T/err")" = "train: interrupted before the first epoch ended: no model written" ]
    # no model, checkpoint or temporary (a failing [ ] inside an && list would not fail the test)
    [ -z "$(compgen -G "$T/first.bin*"; compgen -G "$T/.fm-tmp.*")" ]
}

# ==================================================================== command lines

@test "every filter: an unknown option is named as 'prog: ...', exit 2, nothing on stdout" {
    for p in average confmat csv2tensor flag idx2tensor merge npy2tensor predict split stats tensor2csv train; do
        run --separate-stderr "$p" --bogus
        [ "$status" -eq 2 ] || { echo "$p: status $status"; false; }
        [ -z "$output" ]
        [ "$stderr" = "$p: unrecognized option '--bogus'"$'\n'"Try '$p --help' for more information." ] ||
            { echo "$p: $stderr"; false; }
    done
    # installed as fm-NAME: messages keep the short name, the hint names the command to type
    ln -s "$(command -v split)" "$T/fm-split"
    run --separate-stderr -2 "$T/fm-split" --bogus
    [ "$stderr" = "split: unrecognized option '--bogus'"$'\n'"Try 'fm-split --help' for more information." ]
}

@test "a tensor stream is never written to a terminal" {
    command -v script >/dev/null || skip "script (util-linux) not installed"
    cd "$T"
    # script gives the command a terminal as stdout
    run script -qec "csv2tensor -s 2x2x1 '$FIX/tiny-2x2.csv'" /dev/null
    [ "$status" -eq 1 ]
    [[ "$output" == "csv2tensor: <stdout>: is a terminal; a tensor stream is binary: redirect it to a file or pipe it on"* ]]
    run script -qec "predict -j 1 '$M/tiny.bin' '$M/tiny.ts'" /dev/null
    [ "$status" -eq 1 ]
    [[ "$output" == "predict: <stdout>: is a terminal; a tensor stream is binary"* ]]
    [[ "$output" != *FMTS* ]]
}

@test "a stream appended to its own input file is refused (as cat refuses it)" {
    cp "$M/tiny.ts" "$T/s.ts"
    run --separate-stderr -1 bash -c "split --head 1 < '$T/s.ts' >> '$T/s.ts'"
    [ "$stderr" = "split: <stdin>: input file is output file (stdout)" ]
    run --separate-stderr -1 bash -c "tensor2csv '$T/s.ts' >> '$T/s.ts'"
    [ "$stderr" = "tensor2csv: $T/s.ts: input file is output file (stdout)" ]
    cmp "$M/tiny.ts" "$T/s.ts"
}

@test "'-' as an output file is stdout; where stdout has the report already, a usage error" {
    cd "$T"
    [ "$(stats --json=- "$M/tiny.ts")" = "$(stats --json "$M/tiny.ts")" ]
    [ "$(stats --csv=- "$M/tiny.ts")" = "$(stats --csv "$M/tiny.ts")" ]
    run --separate-stderr -2 confmat --png - "$M/tiny.preds"
    [ "${stderr_lines[0]}" = "confmat: --png: give a file name (stdout gets the report)" ]
    [ -z "$output" ]
    [ ! -e "$T/-" ]
}

# ==================================================================== fuzz regressions

# The crash inputs the fuzzers found (tests/fuzz/regressions/NAME/), and the
# seed corpora, replayed through the same harness code (tests/fuzz/replay.c)
# built with this build's compiler and sanitizers.
@test "fuzz regressions and seeds: every input runs cleanly through its harness" {
    case "${FM_BIN:-$TOP/bin}" in
    */build/san/bin) R="$TOP/build/san/replay" ;;
    *) R="$TOP/build/replay" ;;
    esac
    [ -x "$R/replay_stream" ] || skip "replay programs not built (make check builds them)"
    n=0
    for d in "$TOP"/tests/fuzz/regressions/*/ "$TOP"/tests/fuzz/corpus/*/; do
        [ -d "$d" ] || continue
        name=$(basename "$d")
        for f in "$d"*; do
            [ -f "$f" ] || continue
            run "$R/replay_$name" "$f"
            [ "$status" -eq 0 ] || { echo "$output"; false; }
            n=$((n + 1))
        done
    done
    [ "$n" -gt 0 ]
}
