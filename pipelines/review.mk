# make review: the human-in-the-loop demo on the real test set (see docs/review.md).
# Predicts the validation and test sets with the trained model, prints the risk-coverage
# table, writes the review sheet (threshold chosen on validation for REVIEW_TARGET),
# thumbnails and review.html, then runs a simulated reviewer and merge.
# Writes reports/review/. REVIEW_VAL must be the validation split the model was trained
# beside (train.mk's data/val.ts), never training data.
REVIEW_MODEL   ?= models/default.bin
REVIEW_VAL     ?= data/val.ts
REVIEW_TEST    ?= data/test.ts
REVIEW_TARGET  ?= 0.99
REVIEW_PREDICT ?= --tta=flip,shift
REVIEW_DIR     ?= reports/review

review: $(REVIEW_MODEL) $(REVIEW_VAL) $(REVIEW_TEST) | $(BIN)/predict $(BIN)/flag $(BIN)/merge $(BIN)/csv2tensor ## the human-in-the-loop demo -> reports/review/
	BIN=$(BIN) pipelines/review --model $(REVIEW_MODEL) --val $(REVIEW_VAL) --test $(REVIEW_TEST) \
	    --predict-options "$(REVIEW_PREDICT)" --target $(REVIEW_TARGET) --out $(REVIEW_DIR)
