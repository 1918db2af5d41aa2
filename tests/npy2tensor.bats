#!/usr/bin/env bats
# npy2tensor: NumPy .npy arrays to a tensor stream. Fixtures: tests/fixtures/make-npy.py.
load test_helper

# Every good image fixture holds the same 3 images; with labels 9,0,3 they
# convert to npy-expected.csv.
check_pair() {
    run bash -c "npy2tensor '$FIX/$1' '$FIX/$2' | tensor2csv --no-header | cmp - '$FIX/npy-expected.csv'"
    [ "$status" -eq 0 ]
}

@test "npy2tensor: u8 N x 784, N x 28 x 28, N x 28 x 28 x 1, format 2.0" {
    for f in npy-u1-784 npy-u1-28x28 npy-u1-28x28x1 npy-u1-v2; do
        check_pair $f.npy npy-labels-u1.npy
    done
}

@test "npy2tensor: int64, float32 (little and big endian) and float64 0..1 images" {
    for f in npy-i8-784 npy-f4-784 npy-f4be-784 npy-f8-28x28; do
        check_pair $f.npy npy-labels-u1.npy
    done
}

@test "npy2tensor: integer labels (u1, i4, i8 N x 1) and one-hot rows (f4, u1)" {
    for l in u1 i4 i8-col onehot-f4 onehot-u1; do
        check_pair npy-u1-784.npy npy-labels-$l.npy
    done
}

@test "npy2tensor: '-' reads the images or the labels from stdin" {
    run bash -c "npy2tensor - '$FIX/npy-labels-u1.npy' < '$FIX/npy-u1-784.npy' | tensor2csv --no-header | cmp - '$FIX/npy-expected.csv'"
    [ "$status" -eq 0 ]
    run bash -c "npy2tensor '$FIX/npy-u1-784.npy' - < '$FIX/npy-labels-u1.npy' | tensor2csv --no-header | cmp - '$FIX/npy-expected.csv'"
    [ "$status" -eq 0 ]
}

@test "npy2tensor: the stream header says 28x28x1 u8, 3 records, 10 classes; ids are 0-based" {
    npy2tensor "$FIX/npy-f4-784.npy" "$FIX/npy-labels-onehot-f4.npy" >"$BATS_TEST_TMPDIR/s"
    run od -An -tu1 -j4 -N4 "$BATS_TEST_TMPDIR/s"
    [ "$output" = "   1   0   1   3" ]
    run od -An -tu4 -j8 -N12 "$BATS_TEST_TMPDIR/s"
    [ "$(echo $output)" = "28 28 1" ]
    run od -An -tu2 -j20 -N2 "$BATS_TEST_TMPDIR/s"
    [ "$(echo $output)" = "10" ]
    run od -An -tu8 -j24 -N8 "$BATS_TEST_TMPDIR/s"
    [ "$(echo $output)" = "3" ]
    run bash -c "tensor2csv --no-header --id '$BATS_TEST_TMPDIR/s' | cut -d, -f1,2"
    [ "$output" = $'0,9\n1,0\n2,3' ]
}

@test "npy2tensor: images without labels give label -1 (no label column)" {
    run bash -c "npy2tensor '$FIX/npy-u1-784.npy' | tensor2csv --no-header | cut -d, -f1-3"
    [ "$status" -eq 0 ]
    [ "$output" = $'0,3,6\n7,10,13\n14,17,20' ]
}

@test "npy2tensor: gzip-compressed .npy reads the same" {
    gzip -c "$FIX/npy-u1-784.npy" >"$BATS_TEST_TMPDIR/x.npy.gz"
    run bash -c "npy2tensor '$BATS_TEST_TMPDIR/x.npy.gz' '$FIX/npy-labels-u1.npy' | tensor2csv --no-header | cmp - '$FIX/npy-expected.csv'"
    [ "$status" -eq 0 ]
}

@test "npy2tensor: image and label counts that disagree name both" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-u1-784.npy" "$FIX/npy-labels-short.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-u1-784.npy has 3 images but $FIX/npy-labels-short.npy has 2 labels" ]
    [ -z "$output" ]
}

@test "npy2tensor: bad magic" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-bad-magic.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-bad-magic.npy: not a .npy file (bad magic)" ]
    [ -z "$output" ]
}

@test "npy2tensor: truncated header" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-truncated-header.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-truncated-header.npy: truncated header (got 40 of 128 bytes)" ]
}

@test "npy2tensor: truncated data names the image and ends the stream as truncated" {
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-truncated.npy' > '$BATS_TEST_TMPDIR/s'"
    [ "$stderr" = "npy2tensor: $FIX/npy-truncated.npy: image 3: truncated (got 100 of 784 bytes; shape (3, 784))" ]
    run --separate-stderr -1 tensor2csv --no-header "$BATS_TEST_TMPDIR/s"
    [[ "$stderr" == *"record 3: truncated"* ]]
}

@test "npy2tensor: data after the last element is an error" {
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-trailing.npy' >/dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-trailing.npy: data after the last element (shape (3, 784))" ]
}

@test "npy2tensor: fortran_order True is refused" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-fortran.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-fortran.npy: fortran_order True is not supported (save a C-order array: np.save(f, np.ascontiguousarray(a)))" ]
    [ -z "$output" ]
}

@test "npy2tensor: unsupported dtype" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-c8.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-c8.npy: dtype '<c8' not supported (integers, bool, float32 or float64)" ]
}

@test "npy2tensor: float images outside [0, 1] are an error naming the index" {
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-f4-255.npy' >/dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-f4-255.npy: value 3 at index [0, 1] is outside [0, 1] (float images must be scaled to 0..1)" ]
}

@test "npy2tensor: shapes that are not images" {
    run --separate-stderr -1 npy2tensor "$FIX/npy-1d.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-1d.npy: shape (784,): expected images (N x 784, N x H x W or N x H x W x C)" ]
    run --separate-stderr -1 npy2tensor "$FIX/npy-785.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-785.npy: shape (1, 785): rows of 785 values are not square images (N x 784 is 28x28)" ]
}

@test "npy2tensor: labels out of range, and rows that are not one-hot" {
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-u1-784.npy' '$FIX/npy-labels-range.npy' >/dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-labels-range.npy: label 10 at index [1] is not a class (0..9)" ]
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-u1-784.npy' '$FIX/npy-labels-soft.npy' >/dev/null"
    [ "$stderr" = "npy2tensor: $FIX/npy-labels-soft.npy: row [0] is not one-hot (one 1, the rest 0)" ]
    run --separate-stderr -1 npy2tensor -k 5 "$FIX/npy-u1-784.npy" "$FIX/npy-labels-onehot-u1.npy"
    [ "$stderr" = "npy2tensor: $FIX/npy-labels-onehot-u1.npy: one-hot rows of 10 classes, but --classes says 5" ]
}

@test "npy2tensor: a missing file" {
    run --separate-stderr -1 npy2tensor "$BATS_TEST_TMPDIR/nope.npy"
    [ "$stderr" = "npy2tensor: $BATS_TEST_TMPDIR/nope.npy: No such file or directory" ]
}

@test "npy2tensor: usage errors exit 2 and write nothing to stdout" {
    run --separate-stderr -2 npy2tensor
    [ -z "$output" ]
    [ "${stderr%%$'\n'*}" = "npy2tensor: missing IMAGES file ('-' for stdin)" ]
    run --separate-stderr -2 npy2tensor a b c
    [ -z "$output" ]
    run --separate-stderr -2 npy2tensor --bogus x
    [ -z "$output" ]
    run --separate-stderr -2 npy2tensor -k 0 x
    [ -z "$output" ]
}

@test "npy2tensor: --help, --version; /dev/full fails loudly" {
    run npy2tensor --help
    [ "$status" -eq 0 ]
    [[ "$output" == Usage:\ npy2tensor* ]]
    run npy2tensor --version
    [ "$status" -eq 0 ]
    run --separate-stderr -1 bash -c "npy2tensor '$FIX/npy-u1-784.npy' > /dev/full"
    [[ "$stderr" == npy2tensor:*"No space left on device"* ]]
}
