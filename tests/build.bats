#!/usr/bin/env bats
# The build itself: make's help list against its targets, a second make doing
# nothing, --version everywhere, and make install / uninstall with the manual
# pages rendered by man. They run make in this tree on the build the tests use
# (FM_BIN: bin/, or build/san/bin/ for a SANITIZE build).

load test_helper

# every program: one per filters/NAME.c
NAMES=()
for f in "$TOP"/filters/*.c; do NAMES+=("$(basename "$f" .c)"); done

# make in this tree, on the build FM_BIN names, never as a sub-make of `make check`
# (whose flags and level would change what make prints).
fm_make() {
    local bin=${FM_BIN:-$TOP/bin} build=()
    case $(cd "$bin" 2>/dev/null && pwd) in
    "$TOP/bin") ;;
    "$TOP/build/san/bin") build=(SANITIZE=address,undefined) ;; # only the folders depend on its value
    *) skip "FM_BIN=$FM_BIN is not a build of this tree" ;;
    esac
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$TOP" "${build[@]}" "$@"
}

# Targets from the rules' "target: ... ## what it does" lines, and .PHONY's
# targets from make's own database.
documented() { fm_make help | awk '{ print $2 }' | sort; }
phony() { fm_make -pRrq -f Makefile __no_such_target__ 2>/dev/null | sed -n 's/^\.PHONY: //p' | tr ' ' '\n' | sed '/^$/d' | sort -u; }

@test "build: make help lists every phony target, once" {
    run documented
    [ "$status" -eq 0 ]
    [ -n "$output" ]
    [ -z "$(documented | uniq -d)" ] || { documented | uniq -d; false; }
    undocumented=$(comm -13 <(documented) <(phony))
    [ -z "$undocumented" ] || { echo "phony targets without a '## ' line: $undocumented"; false; }
}

@test "build: every target make help lists is a target make knows" {
    db=$(fm_make -pRrq -f Makefile __no_such_target__ 2>/dev/null || true)
    [ -n "$db" ]
    for t in $(documented); do
        grep -q "^$t:" <<<"$db" || { echo "make help lists '$t', but make has no such target"; false; }
    done
    # and the list reads as make help promises: one "make TARGET  what" line each
    run fm_make help
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "make all "*"build every filter"* ]]
}

@test "build: a second make does nothing: every object, program and manual page is kept" {
    command -v help2man >/dev/null || skip "help2man is not installed (apt-get install help2man)"
    run fm_make -q all
    [ "$status" -eq 0 ] || { fm_make -n all | head -20; false; }
    run fm_make all
    [ "$status" -eq 0 ]
    [ "$output" = "make: Nothing to be done for 'all'." ]
}

@test "build: every filter answers -V and --version with its name and the version" {
    for n in "${NAMES[@]}"; do
        run --separate-stderr "$n" -V
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^$n\ \(fashion-mnist\ filters\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "$n -V: $output"; false; }
        [ -z "$stderr" ]
        run --separate-stderr "$n" --version
        [ "$status" -eq 0 ]
        [[ "$output" =~ ^$n\ \(fashion-mnist\ filters\) ]]
    done
    [ "${#NAMES[@]}" -ge 12 ]
}

@test "build: make install puts fm-NAME and its manual page in place; man renders every page; uninstall removes them" {
    command -v help2man >/dev/null || skip "help2man is not installed (apt-get install help2man)"
    command -v man >/dev/null || skip "man is not installed (apt-get install man-db)"
    root=$BATS_TEST_TMPDIR/root
    run fm_make install DESTDIR="$root" PREFIX=/usr
    [ "$status" -eq 0 ]
    for n in "${NAMES[@]}"; do
        [ -x "$root/usr/bin/fm-$n" ]
        page=$root/usr/share/man/man1/fm-$n.1
        [ -f "$page" ]
        # unjustified and unhyphenated, so that words and options read as in --help
        run --separate-stderr env MANWIDTH=100 man --nj --nh -l "$page"
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "FM-${n^^}(1)"* ]] || { echo "$page: ${lines[0]}"; false; }
        # NAME says what the filter does (help2man's placeholder means it found no description)
        [[ "$output" == *"fm-$n - "* ]] || { echo "$page: $output $stderr" | head -8; false; }
        [[ "$output" != *"manual page for"* ]] || { echo "$page: no description"; false; }
        # every long option of --help is in the page
        for opt in $("$root/usr/bin/fm-$n" --help | grep -o -e '--[a-z][a-z-]*' | sort -u); do
            [[ "$output" == *"$opt"* ]] || { echo "$page: $opt is missing"; false; }
        done
    done
    run man --nj --nh -l "$root/usr/share/man/man1/fm-csv2tensor.1"
    [[ "$output" == *"-s, --shape HxWxC"* ]]
    run fm_make uninstall DESTDIR="$root" PREFIX=/usr
    [ "$status" -eq 0 ]
    [ -z "$(find "$root" -type f)" ] || { find "$root" -type f; false; }
}

@test "build: no filter includes one of the engine's internal headers (docs/source-layout.md)" {
    # the engine's internals are reached through network.h and trainer.h only
    run grep -lE '#include "(layers|quant|optim|recipe|dataset|builtin_arch)\.h"' filters/*.c
    [ "$status" -eq 1 ]
    [ -z "$output" ]
}
