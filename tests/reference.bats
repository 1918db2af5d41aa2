#!/usr/bin/env bats
# The PyTorch reference check (llm.c's habit): the C engine's forward pass,
# loss and every parameter's gradient on the study's network, against the same
# network built in torch from the same weights (tests/reference/torch_check.py,
# fed by tests/tools/nn_reference). Skipped where Debian's python3-torch is missing.

load test_helper

setup() {
    /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null ||
        skip "/usr/bin/python3 cannot import torch (apt-get install python3-torch)"
    NNREF=${FM_NN_REFERENCE:-$TOP/build/tests/nn_reference}
    if [ ! -x "$NNREF" ]; then
        echo "$NNREF is missing: build it with make build/tests/nn_reference" >&2
        return 1
    fi
}

@test "reference: study network forward, loss and gradients match PyTorch on 16 images, 2 threads" {
    cd "$BATS_TEST_TMPDIR"
    # a model a little way into training (32 steps: running statistics well away from their start)
    gzip -dc "$SAMPLES/fashion-mnist_train-2000.csv.gz" | head -n 257 | csv2tensor > train.ts
    train -q -a "$SAMPLES/study.arch" --epochs 1 --batch 8 -j 2 --seed 3 -o model.bin train.ts
    gzip -dc "$SAMPLES/fashion-mnist_test-500.csv.gz" | head -n 17 | csv2tensor > test.ts
    run "$NNREF" -n 16 -j 2 --key 12345 model.bin test.ts out.bin
    [ "$status" -eq 0 ]
    run /usr/bin/python3 "$TOP/tests/reference/torch_check.py" model.bin out.bin
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"C and torch agree"* ]]
    [[ "$output" != *BAD* ]]
}
