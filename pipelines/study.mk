# `make study`: the whole study on the real data, from a fresh Debian machine.
# Each step is its own target and can be run alone; a step that is up to date
# is skipped, and an interrupted training run resumes from its checkpoint.
study: ## the whole study on the real data: deps, all, data, analysis, train, evaluate, review
	@pipelines/install-deps
	$(MAKE) all
	$(MAKE) data
	$(MAKE) analysis
	$(MAKE) train
	$(MAKE) evaluate
	$(MAKE) review
	@echo
	@echo "study: done. Reports are in reports/: analysis/, default-test.txt, evaluate.txt, review/."

.PHONY: study
