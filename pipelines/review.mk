# make review: the human-in-the-loop demo on the real test set (see README, "Review").
# Predicts the validation and test sets with the trained model, prints the risk-coverage
# table, writes the review sheet (threshold chosen on validation for REVIEW_TARGET),
# thumbnails and review.html, then runs a simulated reviewer and merge.
# Writes reports/review/. REVIEW_VAL must be the validation split the model was trained
# beside (never training data); REVIEW_TEST may be a CSV (converted with csv2tensor).
REVIEW_MODEL  ?= models/default.bin
REVIEW_VAL    ?= data/val.ts
REVIEW_TEST   ?= data/fashion-mnist_test.csv
REVIEW_TARGET ?= 0.99
REVIEW_DIR    ?= reports/review

review: $(REVIEW_MODEL) bin/predict bin/flag bin/merge bin/csv2tensor
	pipelines/review --model $(REVIEW_MODEL) --val $(REVIEW_VAL) --test $(REVIEW_TEST) \
	    --target $(REVIEW_TARGET) --out $(REVIEW_DIR)
