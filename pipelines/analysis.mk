# make analysis: the study's exploratory analysis of the training set (see docs/analysis.md).
# Writes reports/analysis/{report.txt,report.json,report.csv,*.png}; about 2 s on the full set.
ANALYSIS_DIR ?= reports/analysis

analysis: data/fashion-mnist_train.csv $(BIN)/csv2tensor $(BIN)/stats ## the exploratory analysis of the training set -> reports/analysis/
	@command -v gnuplot >/dev/null || pipelines/install-deps gnuplot-nox
	@BIN=$(BIN) pipelines/analysis data/fashion-mnist_train.csv $(ANALYSIS_DIR)
