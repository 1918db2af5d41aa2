# bench.mk - benchmarks. `make bench` runs every bench-* target; this file adds bench-csv.
.PHONY: bench-csv

bench: bench-csv

# csv2tensor beside pandas read_csv and a bare libcsv parse of the 60,000-row train CSV.
# The data is order-only: rebuilding a filter must not regenerate the 133 MB CSV.
bench-csv: $(BIN)/csv2tensor build/bench/csv_count | data/fashion-mnist_train.csv ## csv2tensor beside pandas and a bare libcsv parse
	C2T=$(BIN)/csv2tensor pipelines/bench-csv data/fashion-mnist_train.csv

# The bare libcsv reference: a benchmark tool, not a filter (so not in filters/ or bin/).
build/bench/csv_count: pipelines/bench/csv_count.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< -lcsv
