# make evaluate: the trained default model on the real test set -> reports/evaluate.txt
# (and the confusion-matrix heatmap reports/evaluate-confusion.png). See pipelines/evaluate.
EVAL_MODEL ?= models/default.bin
EVAL_DATA  ?= data/fashion-mnist_test.csv

evaluate: reports/evaluate.txt

reports/evaluate.txt: $(EVAL_MODEL) $(EVAL_DATA) pipelines/evaluate bin/csv2tensor bin/idx2tensor bin/npy2tensor \
                      bin/predict bin/confmat
	pipelines/evaluate --png reports/evaluate-confusion.png -o $@ $(EVAL_MODEL) $(EVAL_DATA)
