# make retrain-reviewed: from review back to a model, on the real data (pipelines/retrain).
# The test set is cut in two, seeded and stratified: a pool that is flagged and reviewed,
# and a held-out half that neither model trains on, where the two are compared. The
# pool's sheet (reports/retrain/pool-review.csv and .xlsx, threshold chosen on the
# validation predictions for RETRAIN_TARGET) is filled by the simulated reviewer unless
# REVIEWS names a sheet a person filled in:
#   make retrain-reviewed                            the simulated reviewer
#   cp reports/retrain/pool-review.xlsx reviewed.xlsx  then fill in the copy (make may
#   make retrain-reviewed REVIEWS=reviewed.xlsx        rewrite pool-review.xlsx for a new model)
# The reviewed records join data/train.ts and RETRAIN_RECIPE (the default recipe: 18
# epochs) trains a new model from scratch; retrain.txt gives the
# held-out accuracy before and after.
# The programs are not prerequisites here (run `make` first): a test can point BIN at
# another build without make relinking it.
RETRAIN_MODEL    ?= models/default.bin
RETRAIN_TRAIN    ?= data/train.ts
RETRAIN_VAL      ?= data/val.ts
RETRAIN_TEST     ?= data/test.ts
RETRAIN_RECIPE   ?= $(DEFAULT_RECIPE)
RETRAIN_TARGET   ?= 0.99
RETRAIN_REVIEWER ?= 0.835
RETRAIN_DIR      ?= reports/retrain
REVIEWS          ?= $(RETRAIN_DIR)/pool-review-simulated.csv

.PHONY: retrain-reviewed

$(RETRAIN_DIR)/pool.ts $(RETRAIN_DIR)/heldout.ts &: $(RETRAIN_TEST)
	@mkdir -p $(RETRAIN_DIR)
	$(BIN)/split --ratio 0.5 --seed 2 -o $(RETRAIN_DIR)/pool.ts -O $(RETRAIN_DIR)/heldout.ts $(RETRAIN_TEST)

$(RETRAIN_DIR)/pool.preds: $(RETRAIN_MODEL) $(RETRAIN_DIR)/pool.ts
	$(call to_target,$(BIN)/predict $(RETRAIN_MODEL) < $(RETRAIN_DIR)/pool.ts)

$(RETRAIN_DIR)/val.preds: $(RETRAIN_MODEL) $(RETRAIN_VAL)
	@mkdir -p $(RETRAIN_DIR)
	$(call to_target,$(BIN)/predict $(RETRAIN_MODEL) < $(RETRAIN_VAL))

$(RETRAIN_DIR)/pool-review.csv $(RETRAIN_DIR)/pool-review.xlsx &: $(RETRAIN_DIR)/pool.preds $(RETRAIN_DIR)/val.preds $(RETRAIN_DIR)/pool.ts
	$(BIN)/flag --target-accuracy $(RETRAIN_TARGET) --calibrate $(RETRAIN_DIR)/val.preds \
	    --images $(RETRAIN_DIR)/pool.ts --xlsx $(RETRAIN_DIR)/pool-review.xlsx \
	    -o $(RETRAIN_DIR)/pool-review.csv $(RETRAIN_DIR)/pool.preds

$(RETRAIN_DIR)/pool-review-simulated.csv: $(RETRAIN_DIR)/pool-review.csv
	pipelines/simulate-reviewer --accuracy $(RETRAIN_REVIEWER) --seed 1 $< $@.tmp && mv $@.tmp $@

RETRAIN_INPUTS := $(RETRAIN_MODEL) $(RETRAIN_TRAIN) $(RETRAIN_VAL) $(RETRAIN_DIR)/pool.ts $(RETRAIN_DIR)/heldout.ts \
                  $(RETRAIN_DIR)/pool.preds $(REVIEWS)
retrain-reviewed: $(RETRAIN_INPUTS) ## review half the test set, retrain with it, held-out accuracy before and after -> reports/retrain/
	BIN=$(BIN) pipelines/retrain --model $(RETRAIN_MODEL) --train $(RETRAIN_TRAIN) --val $(RETRAIN_VAL) \
	    --images $(RETRAIN_DIR)/pool.ts --preds $(RETRAIN_DIR)/pool.preds --reviews $(REVIEWS) \
	    --heldout $(RETRAIN_DIR)/heldout.ts --train-options "$(RETRAIN_RECIPE)" --out $(RETRAIN_DIR)
