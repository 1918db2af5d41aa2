#!/bin/bash
# recipe_sweep.sh - the recipe comparisons behind the README's "Recipes replayed in
# PyTorch": every run of a group at once, one process each (a GPU holds them all; on
# 2 CPU cores one run takes hours). Exploration only: what it favours is then run
# for real with bin/train, and the README's training table comes from those runs.
#
# usage: tests/reference/recipe_sweep.sh GROUP... (study default long optim)
#   DATA=data (train.ts val.ts test.ts, optionally gzipped), LOGS=out/sweep
set -u
cd "$(dirname "$0")/../.."
LOGS=${LOGS:-out/sweep}
mkdir -p "$LOGS/arch"
cp samples/study.arch samples/default.arch "$LOGS/arch/"
# two reshapes of the default at about its cost: v2 narrows the 28x28 stage to 24
# channels and adds a second 128-channel conv; v3 keeps one conv at 28x28 instead
awk '/^conv 32$/{print "conv 24"; next} {print} /^conv 128$/{print "relu\nbatchnorm\nconv 128"}' \
    samples/default.arch > "$LOGS/arch/v2.arch"
awk 'NR>1 && /^conv 24$/ && seen++ {skip=2; next} skip {skip--; next} {sub(/^conv 24$/, "conv 32"); print}' \
    "$LOGS/arch/v2.arch" > "$LOGS/arch/v3.arch"
export ARCH_DIR=$LOGS/arch
PY=${PYTHON:-python3}

S='"arch":"study.arch","normalise":"unit","batch":64,"epochs":30,"lr":0.001,"schedule":"plateau","early_stop":4,"test":1'
D='"arch":"default.arch","batch":128,"lr":0.002,"opt":"adamw","wd":0.05,"schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0'
G='"arch":"default.arch","batch":128,"schedule":"onecycle","smoothing":0.1,"flip":1,"early_stop":0,"epochs":18,"shift":1'
declare -A C
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
    *) echo "recipe_sweep.sh: unknown group '$g' (study default long optim)" >&2; exit 2 ;;
    esac
done
[ ${#C[@]} -gt 0 ] || { echo "usage: recipe_sweep.sh GROUP... (study default long optim)" >&2; exit 2; }
pids=
for n in "${!C[@]}"; do
    $PY tests/reference/recipe_sweep.py "$n" "${C[$n]}" "$LOGS" > "$LOGS/$n.out" 2>&1 &
    pids="$pids $!"
done
wait $pids
grep -h '^RESULT' "$LOGS"/*.log | sort
