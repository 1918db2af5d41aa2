#!/usr/bin/env bats
# flag --html: the labelling page in a real browser (Debian's chromium, headless,
# driven by tests/browser/label-page.js through puppeteer-core): labels by click
# and key, undo, the to-do filter, a reload that keeps the work, two sheets apart,
# Save CSV, and merge reading what was saved.
# Set FM_SCREENSHOT=docs/img/label-page.png to write the README's screenshot.
load test_helper

setup() {
    [ -x /usr/bin/chromium ] || skip "chromium is not installed (apt-get install chromium)"
    [ -d "$TOP/tests/browser/node_modules/puppeteer-core" ] ||
        skip "puppeteer-core is not installed (npm ci --prefix tests/browser)"
    T=$BATS_TEST_TMPDIR
    DRIVE="$TOP/tests/browser/label-page.js"
    mkdir "$T/dl"
}

# The 500-image test sample and a seeded fake model's predictions of it (as review-loop.bats).
sample() {
    csv2tensor "$SAMPLES/fashion-mnist_test-500.csv.gz" >"$T/img.ts"
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | tail -n +2 | cut -d, -f1 | awk '{ print NR - 1, $1 }' |
        python3 "$FIX/flag-mkpreds.py" --simulate 7 >"$T/test.preds"
}

@test "label by click and key, undo, filter, reload, save; merge reads the saved sheet" {
    sample
    shot=()
    if [ -n "${FM_SCREENSHOT:-}" ]; then shot=("shot:$(realpath -m "$FM_SCREENSHOT")"); fi
    cd "$T" # relative names: the page's heading (and the screenshot) show "from test.preds"
    flag --budget 12 --images img.ts --html review.html -o review.csv test.preds 2>/dev/null
    run --separate-stderr node "$DRIVE" "$T/dl" "open:$T/review.html" click:4 key:7 key:h key:Enter 'key:?' \
        key:b click:#undo key:s key:Backspace click:#ok "${shot[@]}" todo reload save
    echo "$output" "$stderr"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "open:$T/review.html: 0 of 12 done | cur 451 | ,,,,,,,,,,, | shown 12 | given hidden" ]
    # a click on Coat; 7 is Sneaker; h is Shirt (T, S and S taken before it); Enter = ok; ? = unsure
    [ "${lines[1]}" = "click:4: 1 of 12 done | cur 217 | 4,,,,,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[2]}" = "key:7: 2 of 12 done | cur 175 | 4,7,,,,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[3]}" = "key:h: 3 of 12 done | cur 57 | 4,7,6,,,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[4]}" = "key:Enter: 4 of 12 done | cur 257 | 4,7,6,ok,,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[5]}" = "key:?: 5 of 12 done | cur 344 | 4,7,6,ok,unsure,,,,,,, | shown 12 | given hidden" ]
    # b is Bag; Undo (the button) takes it back and returns to that record; s is Sandal; Backspace undoes
    [ "${lines[6]}" = "key:b: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,8,,,,,, | shown 12 | given hidden" ]
    [ "${lines[7]}" = "click:#undo: 5 of 12 done | cur 344 | 4,7,6,ok,unsure,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[8]}" = "key:s: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,5,,,,,, | shown 12 | given hidden" ]
    [ "${lines[9]}" = "key:Backspace: 5 of 12 done | cur 344 | 4,7,6,ok,unsure,,,,,,, | shown 12 | given hidden" ]
    [ "${lines[10]}" = "click:#ok: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,ok,,,,,, | shown 12 | given hidden" ]
    local n=11
    [ -z "${shot[*]}" ] || n=12
    # the filter shows the 6 still to do; a reload keeps the labels, the filter and the place
    [ "${lines[n]}" = "todo: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,ok,,,,,, | shown 6 | given hidden" ]
    [ "${lines[n + 1]}" = "reload: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,ok,,,,,, | shown 6 | given hidden" ]
    [ "${lines[n + 2]}" = "save: 6 of 12 done | cur 131 | 4,7,6,ok,unsure,ok,,,,,, | shown 6 | given hidden saved review-labels.csv" ]

    # the saved sheet: flag's CSV without the true labels (hidden), reviewer_label filled in
    saved="$T/dl/review-labels.csv"
    [ "$(head -1 "$saved")" = "id,predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,reviewer_label" ]
    [ "$(cut -d, -f1-9 "$saved" | tail -n +2)" = "$(cut -d, -f1,4-11 "$T/review.csv" | tail -n +2)" ]
    [ "$(cut -d, -f10 "$saved" | tr '\n' ' ')" = "reviewer_label 4 7 6 ok unsure ok       " ]
    # merge reads the saved sheet as it is: class labels and ok are reviewed, unsure and blank are not
    run --separate-stderr merge --reviews "$saved" test.preds
    [ "$status" -eq 0 ]
    [ "$(grep -E '^(451|217|175|57|257|344|131),' <<<"$output" | sort -n | tr '\n' ' ')" = "57,5,Sandal,reviewer 131,8,Bag,model 175,6,Shirt,reviewer 217,7,Sneaker,reviewer 257,6,Shirt,model 344,3,Dress,reviewer 451,4,Coat,reviewer " ]
    [ "${stderr_lines[0]}" = "merge: 12 of 500 records on the sheet: 5 reviewed (2 agreed with the model, 3 changed its answer), 6 left blank and 1 marked unsure (not reviewed: the model's answer kept)" ]
}

@test "two sheets keep their work apart; --show-label shows the given label" {
    sample
    flag --budget 12 --images "$T/img.ts" --html "$T/a.html" "$T/test.preds" >/dev/null 2>&1
    flag --budget 5 --score margin --show-label --images "$T/img.ts" --html "$T/b.html" "$T/test.preds" >/dev/null 2>&1
    run --separate-stderr node "$DRIVE" "$T/dl" "open:$T/a.html" key:1 "open:$T/b.html" key:2 key:3 "open:$T/a.html"
    echo "$output" "$stderr"
    [ "$status" -eq 0 ]
    [ "${lines[1]}" = "key:1: 1 of 12 done | cur 217 | 1,,,,,,,,,,, | shown 12 | given hidden" ]
    [[ "${lines[2]}" == "open:$T/b.html: 0 of 5 done | cur "*" | ,,,, | shown 5 | given Given label: "*" ("[0-9]")" ]]
    [[ "${lines[4]}" == "key:3: 2 of 5 done | cur "*" | 2,3,,, | shown 5 | given Given label: "* ]]
    [ "${lines[5]}" = "open:$T/a.html: 1 of 12 done | cur 217 | 1,,,,,,,,,,, | shown 12 | given hidden" ]
    # without --show-label the given label is not in the page at all
    ! grep -q '"label":' "$T/a.html"
    ! grep -q 'true_label' "$T/a.html"
    [ "$(grep -o '"label": [0-9]' "$T/b.html" | wc -l)" -eq 5 ]
}

@test "class names are shown as text, never as markup; keys for every class" {
    printf '%s\n' '</script><b>x</b>' 'Say "hi" & <!--' 'Ünïcode, too' "it's" >"$T/names"
    python3 "$FIX/flag-mkpreds.py" --classes 4 >"$T/p4.ts" <<'SPEC'
0 -1 0.4 0.3 0.2 0.1
1 -1 0.1 0.5 0.2 0.2
SPEC
    zcat "$SAMPLES/fashion-mnist_test-500.csv.gz" | sed -n 2,3p | cut -d, -f2- | csv2tensor -L >"$T/img2.ts"
    flag --budget 2 -n "$T/names" --images "$T/img2.ts" --html "$T/n.html" "$T/p4.ts" >/dev/null 2>&1
    [ "$(grep -c '</script>' "$T/n.html")" -eq 2 ]
    run --separate-stderr node "$DRIVE" "$T/dl" "open:$T/n.html" classes key:i save
    echo "$output" "$stderr"
    [ "$status" -eq 0 ]
    # letters: s (the first word initial), h for "Say" (s taken), n (ü is not a-z), i
    [ "${lines[1]}" = 'classes: 0 of 2 done | cur 0 | , | shown 2 | given hidden classes 0 · S</script><b>x</b>|1 · HSay "hi" & <!--|2 · NÜnïcode, too|3 · Iit'"'"'s' ]
    [ "${lines[2]}" = "key:i: 1 of 2 done | cur 1 | 3, | shown 2 | given hidden" ]
    [ "$(cat "$T/dl/n-labels.csv")" = 'id,predicted,predicted_name,probability,runner_up,runner_up_name,runner_up_probability,score,image,reviewer_label
0,0,</script><b>x</b>,0.400000,1,"Say ""hi"" & <!--",0.300000,0.400000,,3
1,1,"Say ""hi"" & <!--",0.500000,2,"Ünïcode, too",0.200000,0.500000,,' ]
}
