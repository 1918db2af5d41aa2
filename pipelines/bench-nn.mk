# bench-nn.mk - `make bench` adds bench-nn: the CNN engine beside cblas_sgemm and
# PyTorch (issues 5, 17). pipelines/bench-nn prints the table; never part of make check.
# `make bench-layers`: the per-layer profile alone (bench-nn prints it too).
.PHONY: bench-nn bench-layers

bench: bench-nn

SGEMM_BENCH := $(OBJ)/tests/sgemm_bench
LAYER_BENCH := $(OBJ)/tests/layer_bench

$(SGEMM_BENCH): $(OBJ)/tests/tools/sgemm_bench.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(OBJ)/tests/tools/sgemm_bench.d

# The data is order-only: rebuilding a program must not rebuild the streams.
bench-nn: $(BIN)/train $(BIN)/predict $(BIN)/split $(SGEMM_BENCH) $(LAYER_BENCH) | data/test.ts data/train-full.ts ## the CNN engine beside cblas_sgemm and PyTorch
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || pipelines/install-deps python3-torch || \
		echo "bench-nn: could not install python3-torch: the torch columns will be skipped" >&2
	BIN=$(BIN) SGEMM_BENCH=$(SGEMM_BENCH) LAYER_BENCH=$(LAYER_BENCH) pipelines/bench-nn

# Per-layer profile: each convolution timed by each algorithm (forward, input and
# weight gradients), for the study's and the default network.
$(LAYER_BENCH): $(OBJ)/tests/tools/layer_bench.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(OBJ)/tests/tools/layer_bench.d

bench-layers: $(LAYER_BENCH) ## the time of every convolution by each algorithm (study and default networks)
	$(LAYER_BENCH) -b 64 samples/study.arch
	$(LAYER_BENCH) -b 128 samples/default.arch
