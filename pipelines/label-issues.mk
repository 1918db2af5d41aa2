# label-issues.mk - finding the training labels that are probably wrong (issue 21):
# out-of-fold predictions (pipelines/crossval) and confident learning (flag --label-issues).
#   make label-issues       the real training set -> reports/label-issues/ (sheet, report, top100.png)
#   make label-noise-bench  labels flipped on purpose: precision and recall at finding them, and
#                           the test accuracy retraining on the cleaned set gains -> reports/label-noise/
# Both resume where an interrupted run stopped (finished folds and models are kept in out/).
# LABEL_CROSSVAL is crossval's recipe; several joined by a lone + are an ensemble whose
# out-of-fold predictions are averaged (pipelines/oof-ensemble). docs/label-issues.md says
# what each costs and finds.
# The default: the average of the small network for 2 epochs and the default network and
# recipe (the one that met precision 0.9 and recall 0.8 at 5 % flipped labels; about an hour
# of a 2-core machine per data set, most of it the default network's four trainings).
# The first recipe is also the one label-noise-bench retrains on the cleaned set.
LABEL_CROSSVAL ?= -k 4 -a small -e 2 + -k 4
LABEL_SETTINGS ?= uniform-5:0.05,uniform-10:0.10,shirt-5:0.05:6/0+0/6,shirt-10:0.10:6/0+0/6
LABEL_RETRAIN  ?= uniform-5

.PHONY: label-issues label-noise-bench

LABEL_TOOLS := $(BIN)/split $(BIN)/train $(BIN)/predict $(BIN)/tmerge $(BIN)/average $(BIN)/flag $(BIN)/tensor2csv
label-issues: data/train-full.ts | $(LABEL_TOOLS) ## suspected wrong labels in the real training set (crossval + confident learning) -> reports/label-issues/
	BIN=$(BIN) pipelines/label-issues --crossval "$(LABEL_CROSSVAL)"

label-noise-bench: data/train-full.ts data/test.ts | $(LABEL_TOOLS) $(BIN)/flip-labels $(BIN)/csv2tensor ## labels flipped on purpose: precision and recall of finding them -> reports/label-noise/
	BIN=$(BIN) pipelines/label-noise-bench --crossval "$(LABEL_CROSSVAL)" --settings "$(LABEL_SETTINGS)" \
	    --retrain "$(LABEL_RETRAIN)"
