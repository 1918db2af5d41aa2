# Training targets. The data: the Kaggle-layout CSVs from `make data`, cut into
# a seeded 54,000 / 6,000 train/validation split (stratified), and the test set.
#   make train            the default network and recipe (accuracy per minute)  -> models/default.bin
#   make train-long       the longer preset (a wider network, 40 epochs)         -> models/long.bin
#   make train-reference  the Keras study's network and recipe                   -> models/study.bin
#   make train-ensemble   the long preset and the same recipe on narrow.arch, averaged
# Every run writes a per-epoch log beside its model and a checkpoint after each
# epoch: running the same target again after an interruption resumes it.

TRAIN_THREADS ?= $(shell nproc)

data/train-full.ts: data/fashion-mnist_train.csv | $(BIN)/csv2tensor
	$(call to_target,$(BIN)/csv2tensor data/fashion-mnist_train.csv)
data/test.ts: data/fashion-mnist_test.csv | $(BIN)/csv2tensor
	$(call to_target,$(BIN)/csv2tensor data/fashion-mnist_test.csv)
data/train.ts data/val.ts &: data/train-full.ts | $(BIN)/split
	$(BIN)/split --ratio 0.1 --seed 1 -o data/train.ts -O data/val.ts data/train-full.ts

# $(call train_model,MODEL,OPTIONS): resume if a checkpoint is there, else start
train_model = @mkdir -p models; \
	if [ -f $(1).ckpt ]; then resume=--resume; echo "train: resuming from $(1).ckpt"; else resume=; fi; \
	$(BIN)/train $$resume $(2) -j $(TRAIN_THREADS) --val data/val.ts --log $(1:.bin=.log.csv) -o $(1) data/train.ts

# The recipes are train's presets (train --help lists what each stands for).
STUDY_RECIPE   := --preset study --seed 1

# Models depend on the data, not on the program: rebuilding train must not retrain.
models/study.bin: data/train.ts data/val.ts | $(BIN)/train
	$(call train_model,$@,$(STUDY_RECIPE))

# The default: a smaller VGG-style network with light dropout (0.1),
# augmentation, label smoothing, AdamW (weight decay 0.02) with a one-cycle
# schedule; a fixed number of epochs (the schedule needs it), keeping the epoch
# with the best validation loss. The long preset trains the same layers 1.5
# times as wide with dropout 0.3 (samples/wide.arch) for 40 epochs, weight
# decay 0.05 and random erasing added.
DEFAULT_RECIPE := --preset default --seed 1
LONG_RECIPE    := --preset long --seed 1

models/default.bin: data/train.ts data/val.ts | $(BIN)/train
	$(call train_model,$@,$(DEFAULT_RECIPE))

models/long.bin: data/train.ts data/val.ts | $(BIN)/train
	$(call train_model,$@,$(LONG_RECIPE))

# The ensemble's other member: the long recipe on narrow.arch, the default network
# with the dropout (0.3) it had when this was the long preset, until the wider
# network replaced it. Validation, each with TTA: 95.80 %
# (long) and 95.53 %, averaged 95.92 %; adding the two earlier runs in docs/experiments.md
# (the 2-pixel-shift preset and the 25-epoch wide run) gave 95.83 %, the wide
# run alone 95.90 %.
LONG_NARROW_RECIPE := $(LONG_RECIPE) -a narrow
ENSEMBLE           := models/long.bin models/long-narrow.bin

models/long-narrow.bin: data/train.ts data/val.ts | $(BIN)/train
	$(call train_model,$@,$(LONG_NARROW_RECIPE))

# each member's TTA probabilities, then their mean
reports/ensemble-test.txt: $(ENSEMBLE) data/test.ts | $(BIN)/predict $(BIN)/average $(BIN)/confmat
	@mkdir -p reports
	members="$(patsubst models/%.bin,reports/%.test.ts.tmp,$(ENSEMBLE))"; trap 'rm -f $$members' EXIT; \
	for m in $(ENSEMBLE); do $(BIN)/predict --tta=$(TEST_TTA) $$m data/test.ts > reports/$$(basename $$m .bin).test.ts.tmp || exit 1; done; \
	$(call to_target,$(BIN)/average $$members | $(BIN)/confmat)
	@cat $@

# test accuracy, measured once per recipe, with test-time augmentation: the
# mirror and one-pixel shifts (chosen on validation with the earlier defaults:
# 95.03 % plain, 95.00 % mirror, 95.13 % mirror and shifts; 94.08 / 94.35 /
# 94.52 % for the one before), then kept fixed: the current default gives
# 95.43 / 95.60 / 95.42 %, but its test set had been looked at by then
TEST_TTA ?= flip,shift
reports/%-test.txt: models/%.bin data/test.ts | $(BIN)/predict $(BIN)/confmat
	@mkdir -p reports
	$(call to_target,$(BIN)/predict --tta=$(TEST_TTA) $< data/test.ts | $(BIN)/confmat)
	@cat $@

train: reports/default-test.txt ## the default network and recipe (about 20 min) -> models/default.bin, reports/default-test.txt
train-long: reports/long-test.txt ## the long preset (about 80 min) -> models/long.bin, reports/long-test.txt
train-ensemble: reports/ensemble-test.txt ## the long preset averaged with it on narrow.arch -> reports/ensemble-test.txt

# The study evaluated without test-time augmentation: so does its reference.
reports/study-test.txt: models/study.bin data/test.ts | $(BIN)/predict $(BIN)/confmat
	@mkdir -p reports
	$(call to_target,$(BIN)/predict $< data/test.ts | $(BIN)/confmat)
	@cat $@

train-reference: reports/study-test.txt ## the Keras study's network and recipe -> models/study.bin, reports/study-test.txt

.PHONY: train train-long train-reference train-ensemble

# What each switch of the previous default recipe (narrow.arch, weight decay
# 0.05, shifts of 2) is worth, on validation only: the full recipe and each
# switch turned off, on a 10,000-image subset for 6 epochs.
ABLATION_OPTS ?= -n 10000 -e 6
ablation: data/train.ts data/val.ts | $(BIN)/train $(BIN)/split $(BIN)/predict $(BIN)/confmat ## what each switch of the previous default recipe was worth, on a subset -> out/ablation/
	FM_BIN=$(BIN) pipelines/ablation $(ABLATION_OPTS) -j $(TRAIN_THREADS) -o out/ablation data/train.ts data/val.ts

.PHONY: ablation
