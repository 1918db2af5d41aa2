# make evaluate: the trained default model on the real test set -> reports/evaluate.txt
# (and the confusion-matrix heatmap reports/evaluate-confusion.png). See pipelines/evaluate.
EVAL_MODEL ?= models/default.bin
EVAL_DATA  ?= data/fashion-mnist_test.csv

evaluate: reports/evaluate.txt ## the default model on the test set, the study's evaluation -> reports/evaluate.txt

reports/evaluate.txt: $(EVAL_MODEL) $(EVAL_DATA) pipelines/evaluate $(BIN)/csv2tensor $(BIN)/idx2tensor $(BIN)/npy2tensor \
                      $(BIN)/predict $(BIN)/confmat
	BIN=$(BIN) pipelines/evaluate --png reports/evaluate-confusion.png -o $@ $(EVAL_MODEL) $(EVAL_DATA)
