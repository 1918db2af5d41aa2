# Fuzzing (see docs/reliability.md).
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGETS="stream csv"]
#       builds each libFuzzer harness in tests/fuzz/ with clang and ASan + UBSan and runs
#       it for FUZZ_SECONDS, one after the other, starting from tests/fuzz/corpus/NAME/
#       (new inputs go to build/fuzz/corpus/NAME/, crashes to build/fuzz/crash-NAME-*).
#   make valgrind
#       one full pipeline on the sample under valgrind: csv2tensor | predict | confmat,
#       with a tiny model trained for 1 epoch; fails on any error or leak.
# make check also builds tests/fuzz/replay.c with each harness (replay_NAME, with the
# build's own compiler and sanitizers); tests/reliability.bats replays tests/fuzz/regressions/NAME/*
# and tests/fuzz/corpus/NAME/* through them.

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= stream csv idx npy model
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_ALL     := stream csv idx npy model
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer -fopenmp -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=$(FUZZ_DIR)/lib/%.o)

.PHONY: fuzz-deps valgrind

fuzz-deps: ## install clang and its fuzzing runtime for make fuzz
	@pipelines/install-deps clang libclang-rt-14-dev libomp-dev

$(FUZZ_DIR)/lib/%.o: lib/%.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/libfm.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DIR)/libfm.a
	$(FUZZ_CC) -Ilib -Wall -Wextra $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DIR)/libfm.a $(LDLIBS)

-include $(FUZZ_LIB_OBJ:.o=.d)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%) ## libFuzzer on every reader, FUZZ_SECONDS each (clang) -> build/fuzz/
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crash-$$t- $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t \
	        2>$(FUZZ_DIR)/fuzz_$$t.log || { tail -40 $(FUZZ_DIR)/fuzz_$$t.log; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/fuzz_$$t.log; \
	done

# ---- regression replay, part of make check (plain or SANITIZE build) ----
FUZZ_REPLAYS := $(FUZZ_ALL:%=$(OBJ)/replay/replay_%)

$(OBJ)/replay/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) -Ilib $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_$*.c $(OBJ)/libfm.a $(LDLIBS)

check: $(FUZZ_REPLAYS)

# ---- valgrind: one full pipeline on the sample ----
# Its own build in build/valgrind/, without -march=native: valgrind does not know AVX-512.
VALGRIND  := valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
             --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1
VG_DIR    := build/valgrind
VG_CFLAGS := -O2 -g -fopenmp
VG_LIB    := $(LIB_SRC:lib/%.c=$(VG_DIR)/lib/%.o)

$(VG_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(VG_CFLAGS) $(WARN) -c -o $@ $<
$(VG_DIR)/filters/%.o: filters/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(VG_CFLAGS) $(WARN) -c -o $@ $<
$(VG_DIR)/libfm.a: $(VG_LIB)
	@rm -f $@
	ar rcs $@ $^
$(VG_DIR)/bin/%: $(VG_DIR)/filters/%.o $(VG_DIR)/libfm.a
	@mkdir -p $(@D)
	$(CC) -fopenmp -o $@ $^ $(LDLIBS)

valgrind: $(VG_DIR)/bin/csv2tensor $(VG_DIR)/bin/predict $(VG_DIR)/bin/confmat $(BIN)/csv2tensor $(BIN)/train $(BIN)/split ## one pipeline on the sample under valgrind
	@pipelines/install-deps valgrind
	@# through a file: split --head stops reading at 600, which would end a pipe's writer by SIGPIPE (pipefail)
	$(BIN)/csv2tensor samples/fashion-mnist_train-2000.csv.gz > $(VG_DIR)/train-2000.ts
	$(BIN)/split --head 600 -o $(VG_DIR)/train.ts $(VG_DIR)/train-2000.ts
	$(BIN)/train -q -a samples/small.arch -e 1 -j 1 -o $(VG_DIR)/tiny.bin $(VG_DIR)/train.ts
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 bash -o pipefail -c '$(VALGRIND) $(VG_DIR)/bin/csv2tensor \
	    samples/fashion-mnist_test-500.csv.gz | $(VALGRIND) $(VG_DIR)/bin/predict -j 1 $(VG_DIR)/tiny.bin \
	    | $(VALGRIND) $(VG_DIR)/bin/confmat > $(VG_DIR)/confmat.txt'
	@head -2 $(VG_DIR)/confmat.txt
	@echo "valgrind: no errors, no leaks"
