# bench-nn.mk - `make bench` adds bench-nn: the CNN engine beside cblas_sgemm and
# PyTorch (issue 5). pipelines/bench-nn prints the table; never part of make check.
.PHONY: bench-nn

bench: bench-nn

SGEMM_BENCH := $(OBJ)/tests/sgemm_bench

$(SGEMM_BENCH): $(OBJ)/tests/tools/sgemm_bench.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(OBJ)/tests/tools/sgemm_bench.d

# The data is order-only: rebuilding a program must not rebuild the streams.
bench-nn: $(BIN)/train $(BIN)/predict $(BIN)/split $(SGEMM_BENCH) | data/test.ts data/train-full.ts ## the CNN engine beside cblas_sgemm and PyTorch
	@/usr/bin/python3 -c 'import torch' 2>/dev/null || pipelines/install-deps python3-torch || \
		echo "bench-nn: could not install python3-torch: the torch columns will be skipped" >&2
	BIN=$(BIN) SGEMM_BENCH=$(SGEMM_BENCH) pipelines/bench-nn
