# Fashion-MNIST as a pipeline of small Unix filters.
#   make            build every filter into bin/
#   make study      the whole study on the real data (installs packages, gets data, trains, reports)
#   make check      unit tests + bats tests, ending "N passed, N failed"
# See README.md for every target.

CC      ?= cc
OPT     ?= -O3 -march=native
CFLAGS  ?= $(OPT) -g
CFLAGS  += -fopenmp
LDFLAGS += -fopenmp
WARN    := -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings \
           -Wshadow -Wpointer-arith -Wformat=2
CPPFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib -MMD -MP
LDLIBS  := -lcsv -lpng -lz -lopenblas -lm -lpthread
PREFIX  ?= /usr/local
DESTDIR ?=

# Objects and programs of a sanitizer build live apart, so the two never mix.
OBJ     := build
BIN     := bin
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
OBJ     := build/san
BIN     := build/san/bin
endif
ifdef WERROR
WARN    += -Werror
endif

LIB_SRC    := $(sort $(wildcard lib/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(OBJ)/%.o)
FILTER_SRC := $(sort $(wildcard filters/*.c))
FILTERS    := $(FILTER_SRC:filters/%.c=$(BIN)/%)
UNIT_SRC   := $(sort $(wildcard tests/unit/*.c))
UNITS      := $(UNIT_SRC:tests/unit/%.c=$(OBJ)/tests/%)

.DELETE_ON_ERROR:
.SUFFIXES:
.PHONY: all check unit bats clean install uninstall deps data study analysis train train-reference \
        train-long evaluate review bench fuzz

all: $(FILTERS)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(OBJ)/libfm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: $(OBJ)/filters/%.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/tests/%: $(OBJ)/tests/unit/%.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(LIB_OBJ:.o=.d) $(FILTER_SRC:%.c=$(OBJ)/%.d) $(UNIT_SRC:%.c=$(OBJ)/%.d)

# ---- tests ---------------------------------------------------------------
# FM_BIN tells the bats tests which build of the programs to run.
check: $(FILTERS) $(UNITS)
	@FM_BIN=$(abspath $(BIN)) tests/run $(UNITS)

# ---- packages and data ---------------------------------------------------
deps:
	@pipelines/install-deps

data: data/fashion-mnist_train.csv data/fashion-mnist_test.csv

DATASET := /usr/share/datasets/fashion-mnist
$(DATASET)/%.gz:
	@pipelines/install-deps dataset-fashion-mnist

data/fashion-mnist_train.csv: $(DATASET)/train-images-idx3-ubyte.gz $(DATASET)/train-labels-idx1-ubyte.gz | bin/idx2tensor bin/tensor2csv
	@mkdir -p data
	bin/idx2tensor $(DATASET)/train-images-idx3-ubyte.gz $(DATASET)/train-labels-idx1-ubyte.gz | bin/tensor2csv --header > $@.tmp && mv $@.tmp $@

data/fashion-mnist_test.csv: $(DATASET)/t10k-images-idx3-ubyte.gz $(DATASET)/t10k-labels-idx1-ubyte.gz | bin/idx2tensor bin/tensor2csv
	@mkdir -p data
	bin/idx2tensor $(DATASET)/t10k-images-idx3-ubyte.gz $(DATASET)/t10k-labels-idx1-ubyte.gz | bin/tensor2csv --header > $@.tmp && mv $@.tmp $@

# ---- install -------------------------------------------------------------
# Installed names carry an "fm-" prefix so that `split` does not shadow coreutils.
install: $(FILTERS)
	install -d $(DESTDIR)$(PREFIX)/bin
	for f in $(FILTERS:bin/%=%); do install -m 755 bin/$$f $(DESTDIR)$(PREFIX)/bin/fm-$$f; done

uninstall:
	for f in $(FILTERS:bin/%=%); do rm -f $(DESTDIR)$(PREFIX)/bin/fm-$$f; done

clean:
	rm -rf build bin

-include $(sort $(wildcard pipelines/*.mk))
