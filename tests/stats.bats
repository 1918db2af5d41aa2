#!/usr/bin/env bats
# stats: figures on the first 200 sample rows, checked against awk over the CSV itself.

load test_helper

setup() {
    CSV="$BATS_TEST_TMPDIR/s.csv"
    TS="$BATS_TEST_TMPDIR/s.ts"
    gzip -dc "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -n 201 >"$CSV"
    csv2tensor "$CSV" >"$TS"
}

# The value column of one row of stats --csv: csvget TABLE KEY [INDEX]
csvget() {
    awk -F, -v t="$1" -v k="$2" -v i="${3-}" '$1 == t && $3 == k && (i == "" || $2 == i) { print $7 }' \
        "$BATS_TEST_TMPDIR/out.csv"
}

@test "stats: record count, shape, type and labels" {
    stats --csv "$TS" >"$BATS_TEST_TMPDIR/out.csv"
    [ "$(csvget summary records)" = 200 ]
    [ "$(csvget summary shape)" = "28x28x1 u8" ]
    [ "$(csvget summary dtype)" = u8 ]
    [ "$(csvget summary labelled)" = 200 ]
    [ "$(csvget summary unlabelled)" = 0 ]
    [ "$(csvget summary nclass)" = 10 ]
}

@test "stats: class counts and shares equal awk's count of the label column" {
    stats --csv "$TS" >"$BATS_TEST_TMPDIR/out.csv"
    awk -F, 'NR > 1 { n[$1]++ } END { for (k = 0; k < 10; k++) print k "," n[k] + 0 }' "$CSV" >"$BATS_TEST_TMPDIR/want"
    awk -F, '$1 == "class" { print $2 "," $6 }' "$BATS_TEST_TMPDIR/out.csv" >"$BATS_TEST_TMPDIR/got"
    diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
    # names from lib/classes.h, in label order
    run -0 awk -F, '$1 == "class" { printf "%s;", $3 }' "$BATS_TEST_TMPDIR/out.csv"
    [ "$output" = "T-shirt/top;Trouser;Pullover;Dress;Coat;Sandal;Shirt;Sneaker;Bag;Ankle boot;" ]
    share=$(awk -F, '$1 == "class" && $2 == 0 { print $7 }' "$BATS_TEST_TMPDIR/out.csv")
    want=$(awk -F, 'NR > 1 && $1 == 0 { n++ } END { printf "%.6f", n / 200 }' "$CSV")
    [ "$(printf '%.6f' "$share")" = "$want" ]
}

@test "stats: pixel mean, std, min and max equal awk's over all 156800 pixels" {
    stats --csv "$TS" >"$BATS_TEST_TMPDIR/out.csv"
    read -r mean sd lo hi < <(awk -F, 'NR > 1 { for (i = 2; i <= NF; i++) { s += $i; q += $i * $i; n++
            if (n == 1 || $i < lo) lo = $i; if (n == 1 || $i > hi) hi = $i } }
        END { m = s / n; printf "%.6f %.6f %d %d\n", m, sqrt(q / n - m * m), lo, hi }' "$CSV")
    [ "$(csvget pixel count)" = 156800 ]
    [ "$(printf '%.6f' "$(csvget pixel mean)")" = "$mean" ]
    [ "$(printf '%.6f' "$(csvget pixel std)")" = "$sd" ]
    [ "$(csvget pixel min)" = "$lo" ]
    [ "$(csvget pixel max)" = "$hi" ]
}

@test "stats: per-image mean histogram and skewness equal awk's" {
    stats --csv "$TS" >"$BATS_TEST_TMPDIR/out.csv"
    # bin k holds 5.1k <= sum/784 < 5.1(k+1), i.e. k = floor(sum * 50 / (784 * 255)): exact in integers
    awk -F, 'NR > 1 { s = 0; for (i = 2; i <= NF; i++) s += $i; k = int(s * 50 / 199920); if (k > 49) k = 49; h[k]++ }
        END { for (k = 0; k < 50; k++) print k "," h[k] + 0 }' "$CSV" >"$BATS_TEST_TMPDIR/want"
    awk -F, '$1 == "image_mean_hist" { print $2 "," $6 }' "$BATS_TEST_TMPDIR/out.csv" >"$BATS_TEST_TMPDIR/got"
    diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
    # Fisher-Pearson g1 of the 200 per-image means, two passes in awk
    want=$(awk -F, 'NR > 1 { s = 0; for (i = 2; i <= NF; i++) s += $i; x[++n] = s / 784; t += s / 784 }
        END { m = t / n; for (i = 1; i <= n; i++) { d = x[i] - m; m2 += d * d; m3 += d * d * d }
              m2 /= n; m3 /= n; printf "%.6f", m3 / (m2 ^ 1.5) }' "$CSV")
    [ "$(printf '%.6f' "$(csvget image_mean skewness)")" = "$want" ]
    [ "$(awk -F, '$1 == "image_std_hist" { n += $6 } END { print n }' "$BATS_TEST_TMPDIR/out.csv")" = 200 ]
}

@test "stats: per-image std skewness and per-class mean intensity equal awk's" {
    stats --csv "$TS" >"$BATS_TEST_TMPDIR/out.csv"
    want=$(awk -F, 'NR > 1 { s = 0; q = 0; for (i = 2; i <= NF; i++) { s += $i; q += $i * $i }
            m = s / 784; x[++n] = sqrt(q / 784 - m * m); t += x[n] }
        END { m = t / n; for (i = 1; i <= n; i++) { d = x[i] - m; m2 += d * d; m3 += d * d * d }
              m2 /= n; m3 /= n; printf "%.6f", m3 / (m2 ^ 1.5) }' "$CSV")
    [ "$(printf '%.6f' "$(csvget image_std skewness)")" = "$want" ]
    awk -F, 'NR > 1 { for (i = 2; i <= NF; i++) s[$1] += $i; n[$1]++ }
        END { for (k = 0; k < 10; k++) printf "%d,%.6f\n", k, s[k] / (n[k] * 784) }' "$CSV" >"$BATS_TEST_TMPDIR/want"
    awk -F, '$1 == "class_mean_intensity" { printf "%d,%.6f\n", $2, $7 }' "$BATS_TEST_TMPDIR/out.csv" >"$BATS_TEST_TMPDIR/got"
    diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
    # one pixel of one mean image: pixel 400 (0-based) of class 6
    want=$(awk -F, 'NR > 1 && $1 == 6 { s += $402; n++ } END { printf "%.6f", s / n }' "$CSV")
    [ "$(printf '%.6f' "$(csvget class_mean_image 400 6)")" = "$want" ]
}

@test "stats: the text report is aligned and says what it measured" {
    run -0 --separate-stderr stats "$TS"
    [ -z "$stderr" ]
    [ "${lines[0]}" = "input         $TS" ]
    [ "${lines[1]}" = "records       200" ]
    [ "${lines[2]}" = "record shape  28x28x1 u8" ]
    [ "${lines[3]}" = "labelled      yes, 10 classes (stated in the header)" ]
    n0=$(awk -F, 'NR > 1 && $1 == 0 { n++ } END { print n }' "$CSV")
    [[ "$output" == *"      0  T-shirt/top  $(printf '%8d' "$n0")"* ]]
    [[ "$output" == *"  label  name            count    share  mean intensity  mean per-image std"* ]]
    [[ "$output" == *"per-image mean intensity: 200 images, 50 bins over [0, 255]"* ]]
    [[ "$output" == *"per-image standard deviation: 200 images, 50 bins over [0, 127.5]"* ]]
    [[ "$output" == *"skewness g1 = "* ]]
    [ "$(grep -c '^  *[0-9.]* *[0-9.]* *[0-9]*\( #*\)\?$' <<<"$output")" -ge 100 ]
}

@test "stats: --json holds the same figures as --csv" {
    stats --csv="$BATS_TEST_TMPDIR/out.csv" --json "$TS" >"$BATS_TEST_TMPDIR/out.json"
    run -0 python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["records"], d["shape"], d["dtype"], d["nclass"], sum(c["count"] for c in d["classes"]),
      "%.6f" % d["pixel"]["mean"], "%.6f" % d["image_mean"]["skewness"],
      sum(d["image_mean"]["histogram"]["counts"]), len(d["classes"][3]["mean_image"]))' "$BATS_TEST_TMPDIR/out.json"
    [ "$output" = "200 [28, 28, 1] u8 10 200 $(printf '%.6f' "$(csvget pixel mean)") $(printf '%.6f' "$(csvget image_mean skewness)") 200 784" ]
}

@test "stats: an unlabelled stream has no class table" {
    cut -d, -f2- "$CSV" | csv2tensor --no-labels >"$BATS_TEST_TMPDIR/u.ts"
    run -0 stats "$BATS_TEST_TMPDIR/u.ts"
    [ "${lines[3]}" = "labelled      no" ]
    [[ "$output" != *"class distribution"* ]]
    stats --csv "$BATS_TEST_TMPDIR/u.ts" >"$BATS_TEST_TMPDIR/out.csv"
    [ "$(csvget summary unlabelled)" = 200 ]
}

@test "stats: an f32 stream with --range; class names only for 10 classes" {
    # 3 records of 2x2x1 f32, nclass 3, written with python3's struct (format: lib/tensor_stream.h)
    python3 -c '
import struct, sys
h = b"FMTS" + struct.pack("<HBB3IHHQ", 1, 2, 3, 2, 2, 1, 3, 0, 3)
recs = [(0, 0, [0.0, 1.0, 0.5, 0.5]), (1, 2, [-1.0, 1.0, 1.0, -1.0]), (2, 2, [0.25, 0.25, 0.25, 0.25])]
sys.stdout.buffer.write(h + b"".join(struct.pack("<Ii4f", i, l, *p) for i, l, p in recs))' >"$BATS_TEST_TMPDIR/f.ts"
    run -0 stats --range=-1,1 --bins 4 "$BATS_TEST_TMPDIR/f.ts"
    [ "${lines[2]}" = "record shape  2x2x1 f32" ]
    [ "${lines[6]}" = "      0  class 0             1   33.33%          0.5000              0.3536" ]
    [ "${lines[7]}" = "      1  class 1             0    0.00%               -                   -" ]
    # pixel mean 3/12 = 0.25; per-image means 0.5, 0, 0.25 in bins [0,0.5) x2 and [0.5,1] x1
    [[ "$output" == *"  mean     0.2500"* ]]
    [[ "$output" == *"  min      -1.0000"* ]]
    stats --csv --range=-1,1 --bins 4 "$BATS_TEST_TMPDIR/f.ts" >"$BATS_TEST_TMPDIR/out.csv"
    run -0 awk -F, '$1 == "image_mean_hist" { printf "%s ", $6 }' "$BATS_TEST_TMPDIR/out.csv"
    [ "$output" = "0 0 2 1 " ]
    [ "$(csvget image_mean skewness)" = 0 ]
}

@test "stats: an empty stream reports zero records" {
    head -n 1 "$CSV" | csv2tensor >"$BATS_TEST_TMPDIR/e.ts"
    run -0 stats "$BATS_TEST_TMPDIR/e.ts"
    [ "${lines[1]}" = "records       0" ]
    run -0 stats --json "$BATS_TEST_TMPDIR/e.ts"
    [[ "$output" == *'"mean": null'* ]]
}

@test "stats: --png-dir writes the mean images and the grid as valid PNGs" {
    run -0 stats --png-dir "$BATS_TEST_TMPDIR/pics" "$TS"
    # grid: the names (154 px) in a 10 px margin, 10 tiles of 28x3 pixels with 4-pixel gaps,
    # under a title: 174 + 10 * 88 - 4 + 10 = 1060 wide, 38 + 10 * 88 - 4 + 10 = 924 high
    run -0 file -b "$BATS_TEST_TMPDIR/pics/grid.png"
    [ "$output" = "PNG image data, 1060 x 924, 8-bit/color RGB, non-interlaced" ]
    # ink (text) in the title and beside the first and the last row: the class names
    run -0 python3 "$TOP/tests/tools/png-ink.py" "$BATS_TEST_TMPDIR/pics/grid.png" 10 10 500 18 10 38 154 84 10 830 154 84
    [ "$(echo $output)" = "1060 924 1324 536 528" ]
    # mean images: a title, the tiles, each class's name under its tile
    run -0 file -b "$BATS_TEST_TMPDIR/pics/mean-images.png"
    [ "$output" = "PNG image data, 896 x 145, 8-bit/color RGB, non-interlaced" ]
    run -0 python3 "$TOP/tests/tools/png-ink.py" "$BATS_TEST_TMPDIR/pics/mean-images.png" 10 10 600 18 10 126 876 9
    [ "$(echo $output)" = "896 145 1600 940" ]
    run -0 stats --png-dir "$BATS_TEST_TMPDIR/pics" --grid 4 --scale 1 "$TS"
    run -0 file -b "$BATS_TEST_TMPDIR/pics/grid.png"
    [ "$output" = "PNG image data, 402 x 364, 8-bit/color RGB, non-interlaced" ]
    [ -z "$(find "$BATS_TEST_TMPDIR/pics" -name '*.tmp.*')" ]
    # missing parents are made too; a file in the way is an error
    run -0 stats --png-dir "$BATS_TEST_TMPDIR/deep/er/" --grid 2 "$TS"
    [ -s "$BATS_TEST_TMPDIR/deep/er/grid.png" ]
    run -1 --separate-stderr stats --png-dir "$BATS_TEST_TMPDIR/pics/grid.png/x" "$TS"
    [ "$stderr" = "stats: $BATS_TEST_TMPDIR/pics/grid.png/x: cannot create directory: Not a directory" ]
}

@test "stats: a truncated stream is an error naming the record" {
    head -c 10000 "$TS" >"$BATS_TEST_TMPDIR/t.ts"
    run -1 --separate-stderr stats --json="$BATS_TEST_TMPDIR/j.json" "$BATS_TEST_TMPDIR/t.ts"
    # 10000 bytes = 32 header + 12 records of 792 + 464 bytes of the 13th
    [ "$stderr" = "stats: $BATS_TEST_TMPDIR/t.ts: record 13: truncated (got 464 of 792 bytes)" ]
    [ -z "$output" ]
    [ ! -e "$BATS_TEST_TMPDIR/j.json" ]
}

@test "stats: refuses to write a report over its input" {
    cp "$TS" "$BATS_TEST_TMPDIR/copy.ts"
    run -1 --separate-stderr stats --json="$TS" "$TS"
    [ "$stderr" = "stats: $TS: refusing to overwrite an input" ]
    cmp "$TS" "$BATS_TEST_TMPDIR/copy.ts"
}

@test "stats: usage errors exit 2 and write nothing to stdout" {
    run -2 --separate-stderr stats --bins 0 "$TS"
    [ "$stderr" = "stats: --bins: 0 is out of range (1..100000)"$'\n'"Try 'stats --help' for more information." ]
    [ -z "$output" ]
    run -2 --separate-stderr stats --range 5,1 "$TS"
    [ "${stderr%%$'\n'*}" = "stats: --range: expected LO,HI with LO < HI, got '5,1'" ]
    [ -z "$output" ]
    run -2 --separate-stderr stats --no-such-option "$TS"
    [ -z "$output" ]
    run -2 --separate-stderr stats "$TS" "$TS"
    [ "${stderr%%$'\n'*}" = "stats: too many arguments (one input file at most; --csv and --json take a file as --json=FILE)" ]
    run -0 stats --help
    [ "${lines[0]}" = "Usage: stats [OPTION]... [FILE]" ]
}

@test "stats: a write error on stdout is reported" {
    run -1 --separate-stderr bash -c 'stats "$1" >/dev/full' _ "$TS"
    [ "$stderr" = "stats: write error on <stdout>: No space left on device" ]
}

@test "stats: skewness in words follows Bulmer's bands (about symmetric under 0.5, moderate to 1, high above)" {
    skew() { printf '0,%s\n' "$@" | csv2tensor --shape 1x1x1 | stats | grep -m1 'skewness g1'; }
    run -0 skew 0 0 1 1
    [ "$output" = "  skewness g1 = 0.0000: symmetric" ]
    run -0 skew 0 1 1 2 2 2 3 3 4 5
    [ "$output" = "  skewness g1 = 0.3032: about symmetric (|g1| < 0.5), a slightly longer tail to the right" ]
    run -0 skew 5 4 4 3 3 3 2 2 1 0
    [ "$output" = "  skewness g1 = -0.3032: about symmetric (|g1| < 0.5), a slightly longer tail to the left" ]
    run -0 skew 0 0 0 0 0 0 1 1 1 2
    [ "$output" = "  skewness g1 = 0.9938: moderately right-skewed, longer tail to the right" ]
    run -0 skew 9 9 9 9 9 9 9 9 9 0
    [ "$output" = "  skewness g1 = -2.6667: highly left-skewed, longer tail to the left" ]
}

# The shards of $TS (200 records) in K parts, each reported with --json: mkparts K [stats options]
mkparts() {
    local k=$1 i
    shift
    for i in $(seq "$k"); do
        split --shard "$i/$k" -o "$BATS_TEST_TMPDIR/part$i.ts" "$TS"
        stats "$@" --json="$BATS_TEST_TMPDIR/part$i.json" "$BATS_TEST_TMPDIR/part$i.ts" >/dev/null
    done
}

@test "stats: --merge of the shards' reports gives the whole stream's report (text, CSV, JSON)" {
    D="$BATS_TEST_TMPDIR"
    for k in 2 3 7; do
        mkparts "$k"
        stats "$TS" >"$D/one.txt"
        stats --merge "$D"/part?.json >"$D/merged.txt"
        # only the input line differs
        [ "$(sed -n 1p "$D/merged.txt")" = "input         $k reports merged" ]
        diff <(tail -n +2 "$D/one.txt") <(tail -n +2 "$D/merged.txt")
        diff <(stats --csv "$TS") <(stats --merge --csv "$D"/part?.json)
        diff <(stats --json "$TS" | grep -v '"input"\|"merge_state"') \
             <(stats --merge --json "$D"/part?.json | grep -v '"input"\|"merge_state"')
        rm "$D"/part?.json
    done
}

@test "stats: --merge: exact counts in the state, moments to rounding; merges of merges; empty parts" {
    D="$BATS_TEST_TMPDIR"
    mkparts 3
    stats --json "$TS" >"$D/one.json"
    stats --merge --json "$D/part1.json" "$D/part2.json" "$D/part3.json" >"$D/m.json"
    # counts and histograms: the same integers; the moments within 1e-13 relative
    run -0 python3 -c '
import json, sys
a, b = (json.load(open(p))["merge_state"].split() for p in sys.argv[1:])
assert len(a) == len(b), (len(a), len(b))
ints = sum(1 for x, y in zip(a, b) if "0x" not in x and "inf" not in x and x != y)
far = sum(1 for x, y in zip(a, b) if "0x" in x and abs(float.fromhex(x) - float.fromhex(y)) > 1e-13 * max(1, abs(float.fromhex(x))))
print(ints, far)' "$D/one.json" "$D/m.json"
    [ "$output" = "0 0" ]
    # a merge of one report is that report; merged reports merge again (a tree of merges)
    diff <(stats --csv "$TS") <(stats --merge --csv "$D/one.json")
    stats --merge --json "$D/part1.json" "$D/part2.json" >"$D/m12.json"
    diff <(stats --csv "$TS") <(stats --merge --csv "$D/m12.json" "$D/part3.json")
    # empty shards (more parts than records) add nothing
    split --head 0 -o "$D/e.ts" "$TS"
    stats --json="$D/e.json" "$D/e.ts" >/dev/null
    diff <(stats --csv "$TS") <(stats --merge --csv "$D/e.json" "$D/part1.json" "$D/part2.json" "$D/e.json" "$D/part3.json")
    run -0 stats --merge "$D/e.json"
    [ "${lines[1]}" = "records       0" ]
}

@test "stats: --merge refuses reports that do not belong together, and damaged ones" {
    D="$BATS_TEST_TMPDIR"
    mkparts 2
    stats --bins 20 --json="$D/b20.json" "$D/part2.ts" >/dev/null
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/b20.json"
    [ "$stderr" = "stats: $D/b20.json: 20 bins over [0, 255], but $D/part1.json has 50 over [0, 255] (give every part the same --bins and --range)" ]
    [ -z "$output" ]
    csv2tensor -k 12 "$CSV" >"$D/k12.ts"
    stats --json="$D/k12.json" "$D/k12.ts" >/dev/null
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/k12.json"
    [ "$stderr" = "stats: $D/k12.json: a report on 28x28x1 u8 records (nclass 12), but $D/part1.json is on 28x28x1 u8 (nclass 10)" ]
    stats --csv="$D/part1.csv" "$D/part1.ts" >/dev/null
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/part1.csv"
    [ "$stderr" = "stats: $D/part1.csv: no merge_state: not a JSON report of stats (stats --json writes one)" ]
    # a cut report, and a damaged number
    head -c 50000 "$D/part2.json" >"$D/cut.json"
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/cut.json"
    [ "$stderr" = "stats: $D/cut.json: no merge_state: not a JSON report of stats (stats --json writes one)" ]
    sed 's/"merge_state": "fm-stats-1 1 3 28 28 1 10 50 0x0p+0 0x1.fep+7 100 /&x/' "$D/part2.json" >"$D/bad.json"
    ! cmp -s "$D/bad.json" "$D/part2.json" || false
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/bad.json"
    [[ "$stderr" == "stats: $D/bad.json: merge_state is damaged at 'x100 0 "*"' (not a report of this version of stats?)" ]]
    run -1 --separate-stderr stats --merge "$D/part1.json" "$D/none.json"
    [ "$stderr" = "stats: $D/none.json: No such file or directory" ]
    # the key inside a string is not the key
    printf '{"input": "\\"merge_state\\": \\"fm-stats-1"}\n' >"$D/trick.json"
    run -1 --separate-stderr stats --merge "$D/trick.json"
    [ "$stderr" = "stats: $D/trick.json: no merge_state: not a JSON report of stats (stats --json writes one)" ]
}

@test "stats: --merge usage errors; its JSON report, read from stdin, merges too" {
    D="$BATS_TEST_TMPDIR"
    mkparts 2
    run -2 --separate-stderr stats --merge
    [ "${stderr%%$'\n'*}" = "stats: --merge needs the JSON reports to merge (stats --json of each part)" ]
    [ -z "$output" ]
    run -2 --separate-stderr stats --merge --bins 10 "$D/part1.json"
    [ "${stderr%%$'\n'*}" = "stats: --bins does not go with --merge (bins and range come from the reports; pictures need the images)" ]
    run -2 --separate-stderr stats --merge --png-dir "$D/p" "$D/part1.json"
    [ "${stderr%%$'\n'*}" = "stats: --png-dir does not go with --merge (bins and range come from the reports; pictures need the images)" ]
    run -2 --separate-stderr stats --merge - "$D/part1.json" -
    [ "${stderr%%$'\n'*}" = "stats: standard input (-) given more than once" ]
    run -1 --separate-stderr stats --merge --json="$D/part1.json" "$D/part1.json" "$D/part2.json"
    [ "$stderr" = "stats: $D/part1.json: refusing to overwrite an input" ]
    diff <(stats --csv "$TS") <(stats --merge --csv - "$D/part2.json" <"$D/part1.json")
}
