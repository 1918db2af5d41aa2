#!/bin/bash
# recipe_sweep.sh - the recipe comparisons behind docs/experiments.md's "What do recipe
# replays in PyTorch say?": every run of a group at once, one process each (a GPU holds them all; on
# 2 CPU cores one run takes hours). Exploration only: what it favours is then run
# for real with bin/train, and the training table in docs/experiments.md comes from those runs.
#
# usage: experiments/recipe_sweep.sh GROUP... (study default long optim shape regularise tune widen)
#   DATA=data (train.ts val.ts test.ts, optionally gzipped), LOGS=out/sweep
set -u
GROUPS_KNOWN="study default long optim shape regularise tune widen"
cd "$(dirname "$0")/.."
LOGS=${LOGS:-out/sweep}
mkdir -p "$LOGS/arch"
# "default.arch" here is the default network as it was when these groups were run:
# dropout 0.3, now samples/narrow.arch (the regularise group led to today's default,
# default_d10.arch below with weight decay 0.02)
cp samples/study.arch "$LOGS/arch/"
cp samples/narrow.arch "$LOGS/arch/default.arch"
# two reshapes of the default at about its cost: v2 narrows the 28x28 stage to 24
# channels and adds a second 128-channel conv; v3 keeps one conv at 28x28 instead
awk '/^conv 32$/{print "conv 24"; next} {print} /^conv 128$/{print "relu\nbatchnorm\nconv 128"}' \
    samples/narrow.arch > "$LOGS/arch/v2.arch"
awk 'NR>1 && /^conv 24$/ && seen++ {skip=2; next} skip {skip--; next} {sub(/^conv 24$/, "conv 32"); print}' \
    "$LOGS/arch/v2.arch" > "$LOGS/arch/v3.arch"
# the "shape" group's networks, all at about the default's cost except res64 and wide:
# residual blocks ('skip' ... 'add', a layer type only the replay has) over the
# default's second convolutions (dskip), or a one-conv 28x28 stage and two-conv
# residual blocks at 14x14 and 7x7 (res48, res64, res40x2; seq48 = res48 without them)
head='maxpool 2\nflatten\ndropout 0.3\ndense 256\nrelu\nbatchnorm\ndropout 0.3\ndense 10\nsoftmax'
cbr() { printf 'conv %s\nrelu\nbatchnorm\n' "$1"; }
block() { printf 'skip\n'; cbr "$1"; cbr "$1"; printf 'add\n'; }
{ echo 'input 28 28 1'; cbr 32; printf 'skip\n'; cbr 32; printf 'add\nmaxpool 2\n'; cbr 64
  printf 'skip\n'; cbr 64; printf 'add\nmaxpool 2\n'; cbr 128; echo -e "$head"; } > "$LOGS/arch/dskip.arch"
for c in 48 64; do
    { echo 'input 28 28 1'; cbr 32; echo 'maxpool 2'; cbr $c; block $c; echo 'maxpool 2'
      cbr $((2 * c)); block $((2 * c)); echo -e "$head"; } > "$LOGS/arch/res$c.arch"
done
grep -v '^skip$\|^add$' "$LOGS/arch/res48.arch" > "$LOGS/arch/seq48.arch"
{ echo 'input 28 28 1'; cbr 24; echo 'maxpool 2'; cbr 40; block 40; echo 'maxpool 2'
  cbr 80; block 80; block 80; echo -e "$head"; } > "$LOGS/arch/res40x2.arch"
cp samples/wide.arch "$LOGS/arch/"
# the "regularise" group's: the default with dropout 0.1, 0.2 or none
for p in 0.1 0.2; do sed "s/^dropout 0.3/dropout $p/" samples/narrow.arch > "$LOGS/arch/default_d${p#0.}0.arch"; done
grep -v '^dropout' samples/narrow.arch > "$LOGS/arch/default_d0.arch"
# the "tune" and "widen" groups': today's default with batch norm before the ReLU
# (bnrelu) or a global average over the 7x7 stage for a head (gap, 'avgpool' being
# replay only), and the wide network with today's dropout (wide_d10)
awk '/^relu$/{held=1; next} /^batchnorm$/ && held {print; print "relu"; held=0; next} {if(held){print "relu"; held=0} print}' \
    samples/default.arch > "$LOGS/arch/bnrelu.arch"
{ sed -n '/^input/,/^conv 128$/p' samples/default.arch; printf 'relu\nbatchnorm\navgpool\ndropout 0.1\ndense 10\nsoftmax\n'; } \
    > "$LOGS/arch/gap.arch"
sed 's/^dropout 0.3/dropout 0.1/' samples/wide.arch > "$LOGS/arch/wide_d10.arch"
export ARCH_DIR=$LOGS/arch
PY=${PYTHON:-python3}

S='"arch":"study.arch","normalise":"unit","batch":64,"epochs":30,"lr":0.001,"schedule":"plateau","early_stop":4,"test":1'
D='"arch":"default.arch","batch":128,"lr":0.002,"opt":"adamw","wd":0.05,"schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0'
N='"arch":"default_d10.arch","batch":128,"lr":0.002,"opt":"adamw","wd":0.02,"schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0,"shift":1,"epochs":18'
W='"batch":128,"lr":0.002,"opt":"adamw","schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0,"shift":1'
G='"arch":"default.arch","batch":128,"schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0,"epochs":18,"shift":1'
declare -A C=()
for g in "$@"; do
    case $g in
    study)  # the study's recipe as Keras runs it, five seeds, and three readings of it
        for s in 1 2 3 4 5; do C[study_keras_s$s]="{$S,\"seed\":$s}"; done
        for s in 1 2; do C[study_bn09_s$s]="{$S,\"bn_mom\":0.9,\"seed\":$s}"
                         C[study_monitor_acc_s$s]="{$S,\"monitor\":\"acc\",\"seed\":$s}"
                         C[study_keras_split_s$s]="{$S,\"keras_split\":1,\"seed\":$s}"; done
        C[study_bn09_acc_s1]="{$S,\"bn_mom\":0.9,\"monitor\":\"acc\",\"seed\":1}" ;;
    default)  # the default recipe over four seeds, and one change at a time
        for s in 1 2 3 4; do C[default_s$s]="{$D,\"epochs\":18,\"shift\":1,\"seed\":$s}"; done
        C[default_bn09]="{$D,\"epochs\":18,\"shift\":1,\"bn_mom\":0.9,\"seed\":1}"
        C[default_ema]="{$D,\"epochs\":18,\"shift\":1,\"ema\":0.999,\"seed\":1}"
        C[default_erase]="{$D,\"epochs\":18,\"shift\":1,\"erase\":0.25,\"seed\":1}"
        C[default_lr004]="{$D,\"epochs\":18,\"shift\":1,\"lr\":0.004,\"seed\":1}"
        for s in 1 2; do C[v3_s$s]="{$D,\"arch\":\"v3.arch\",\"epochs\":18,\"shift\":1,\"seed\":$s}"
                         C[v2_s$s]="{$D,\"arch\":\"v2.arch\",\"epochs\":17,\"shift\":1,\"seed\":$s}"; done ;;
    long)  # 40 (or 60) epochs
        C[long_shift2_erase]="{$D,\"epochs\":40,\"shift\":2,\"erase\":0.25,\"seed\":1}"
        C[long_shift1]="{$D,\"epochs\":40,\"shift\":1,\"seed\":1}"
        for s in 1 2; do C[long_shift1_erase_s$s]="{$D,\"epochs\":40,\"shift\":1,\"erase\":0.25,\"seed\":$s}"; done
        C[long_v3_shift1_erase]="{$D,\"arch\":\"v3.arch\",\"epochs\":40,\"shift\":1,\"erase\":0.25,\"seed\":1}"
        C[long60_shift1_erase_ema]="{$D,\"epochs\":60,\"shift\":1,\"erase\":0.25,\"ema\":0.9995,\"seed\":1}" ;;
    optim)  # SGD with momentum and other AdamW settings for the default network
        for s in 1 2; do C[sgd_lr01_s$s]="{$G,\"opt\":\"sgd\",\"lr\":0.1,\"wd\":0.0005,\"seed\":$s}"
                         C[sgd_lr005_s$s]="{$G,\"opt\":\"sgd\",\"lr\":0.05,\"wd\":0.0005,\"seed\":$s}"
                         C[adamw_wd01_s$s]="{$G,\"opt\":\"adamw\",\"lr\":0.002,\"wd\":0.1,\"seed\":$s}"; done
        C[sgd_lr02_wd1e3]="{$G,\"opt\":\"sgd\",\"lr\":0.2,\"wd\":0.001,\"seed\":1}"
        C[adamw_batch64]="{$G,\"opt\":\"adamw\",\"lr\":0.002,\"wd\":0.05,\"batch\":64,\"seed\":1}" ;;
    shape)  # other networks at the default's cost (18 epochs of 22 M multiply-adds), or epochs to match
        for s in 1 2 3; do C[def18_s$s]="{$D,\"epochs\":18,\"shift\":1,\"seed\":$s}"
                           C[res48_18_s$s]="{$D,\"arch\":\"res48.arch\",\"epochs\":18,\"shift\":1,\"seed\":$s}"; done
        for s in 1 2; do C[dskip18_s$s]="{$D,\"arch\":\"dskip.arch\",\"epochs\":18,\"shift\":1,\"seed\":$s}"
                         C[seq48_18_s$s]="{$D,\"arch\":\"seq48.arch\",\"epochs\":18,\"shift\":1,\"seed\":$s}"
                         C[res64_11_s$s]="{$D,\"arch\":\"res64.arch\",\"epochs\":11,\"shift\":1,\"seed\":$s}"
                         C[res40x2_19_s$s]="{$D,\"arch\":\"res40x2.arch\",\"epochs\":19,\"shift\":1,\"seed\":$s}"
                         C[wide8_s$s]="{$D,\"arch\":\"wide.arch\",\"epochs\":8,\"shift\":1,\"seed\":$s}"
                         C[def24_s$s]="{$D,\"epochs\":24,\"shift\":1,\"seed\":$s}"; done
        C[def24_s3]="{$D,\"epochs\":24,\"shift\":1,\"seed\":3}"
        for s in 1 2; do C[def30_s$s]="{$D,\"epochs\":30,\"shift\":1,\"seed\":$s}"; done
        C[res64_18_s1]="{$D,\"arch\":\"res64.arch\",\"epochs\":18,\"shift\":1,\"seed\":1}"
        C[res48_24_s1]="{$D,\"arch\":\"res48.arch\",\"epochs\":24,\"shift\":1,\"seed\":1}"
        C[res48_18_lr004_s1]="{$D,\"arch\":\"res48.arch\",\"epochs\":18,\"shift\":1,\"lr\":0.004,\"seed\":1}"
        C[def18_b256_s1]="{$D,\"epochs\":18,\"shift\":1,\"batch\":256,\"lr\":0.004,\"seed\":1}"
        for s in 1 2 3 4; do C[def9_s$s]="{$D,\"epochs\":9,\"shift\":1,\"save_probs\":1,\"seed\":$s}"; done ;;
    regularise)  # less regularisation for a short run; the default's test spread; what more data is worth
        R="$D,\"epochs\":18,\"shift\":1"
        for s in 4 5 6 7 8 9; do C[def18_test_s$s]="{$R,\"test\":1,\"save_probs\":1,\"seed\":$s}"; done
        for s in 1 2 3; do C[def18_tl48600_s$s]="{$R,\"train_limit\":48600,\"seed\":$s}"
                           C[d0_s$s]="{$R,\"arch\":\"default_d0.arch\",\"seed\":$s}"
                           C[d20_s$s]="{$R,\"arch\":\"default_d20.arch\",\"seed\":$s}"; done
        for s in 1 2 3 4 5 6; do C[d10_s$s]="{$R,\"arch\":\"default_d10.arch\",\"seed\":$s}"
                                 C[d10_wd02_s$s]="{$R,\"arch\":\"default_d10.arch\",\"wd\":0.02,\"seed\":$s}"; done
        for s in 1 2 3 4; do C[d0_wd02_s$s]="{$R,\"arch\":\"default_d0.arch\",\"wd\":0.02,\"seed\":$s}"; done
        for s in 1 2; do C[def18_nosmooth_s$s]="{$R,\"smoothing\":0,\"seed\":$s}"
                         C[d10_erase_s$s]="{$R,\"arch\":\"default_d10.arch\",\"erase\":0.25,\"seed\":$s}"
                         C[d10_wd01_s$s]="{$R,\"arch\":\"default_d10.arch\",\"wd\":0.01,\"seed\":$s}"
                         C[d10_wd0_s$s]="{$R,\"arch\":\"default_d10.arch\",\"wd\":0,\"seed\":$s}"
                         C[d10_wd02_erase_s$s]="{$R,\"arch\":\"default_d10.arch\",\"wd\":0.02,\"erase\":0.25,\"seed\":$s}"; done ;;
    tune)  # today's default (dropout 0.1, weight decay 0.02) against changes at about its cost
        for s in 10 11 12 13 14 15; do C[base_s$s]="{$N,\"seed\":$s}"; done
        for s in 1 2 3 4 5 6; do C[lr003_s$s]="{$N,\"lr\":0.003,\"seed\":$s}"; done
        for s in 1 2; do C[plain2_s$s]="{$N,\"plain_last\":2,\"seed\":$s}"
                         C[ls02_s$s]="{$N,\"smoothing\":0.2,\"seed\":$s}"
                         C[bnrelu_s$s]="{$N,\"arch\":\"bnrelu.arch\",\"seed\":$s}"
                         C[bnrelu_lr003_s$s]="{$N,\"arch\":\"bnrelu.arch\",\"lr\":0.003,\"seed\":$s}"
                         C[b64_s$s]="{$N,\"batch\":64,\"seed\":$s}"
                         C[gap_s$s]="{$N,\"arch\":\"gap.arch\",\"seed\":$s}"; done
        C[mixup02_s1]="{$N,\"mixup\":0.2,\"seed\":1}" ;;
    widen)  # the long preset's wide network with today's lighter regularisation
        for s in 1 2; do C[wide_long_now_s$s]="{$W,\"arch\":\"wide.arch\",\"wd\":0.05,\"erase\":0.25,\"epochs\":40,\"seed\":$s}"
                         C[wide_d10_erase40_lr003_s$s]="{$W,\"arch\":\"wide_d10.arch\",\"wd\":0.02,\"erase\":0.25,\"epochs\":40,\"lr\":0.003,\"seed\":$s}"; done
        for s in 1 2 3 4; do C[wide_d10_erase40_s$s]="{$W,\"arch\":\"wide_d10.arch\",\"wd\":0.02,\"erase\":0.25,\"epochs\":40,\"seed\":$s}"; done
        C[wide_d10_40_s1]="{$W,\"arch\":\"wide_d10.arch\",\"wd\":0.02,\"epochs\":40,\"seed\":1}"
        C[wide_d10_erase60_s1]="{$W,\"arch\":\"wide_d10.arch\",\"wd\":0.02,\"erase\":0.25,\"epochs\":60,\"seed\":1}" ;;
    *) echo "recipe_sweep.sh: unknown group '$g' ($GROUPS_KNOWN)" >&2; exit 2 ;;
    esac
done
[ ${#C[@]} -gt 0 ] || { echo "usage: recipe_sweep.sh GROUP... ($GROUPS_KNOWN)" >&2; exit 2; }
pids=
for n in "${!C[@]}"; do
    $PY experiments/recipe_sweep.py "$n" "${C[$n]}" "$LOGS" > "$LOGS/$n.out" 2>&1 &
    pids="$pids $!"
done
wait $pids
grep -h '^RESULT' "$LOGS"/*.log | sort
