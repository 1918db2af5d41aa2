# Data-parallel training under Open MPI (docs/mpi.md). `make check` also builds
# train with MPI, apart, when mpicc is installed; tests/mpi.bats finds it
# through FM_MPI_BIN (and skips, saying why, when it or mpirun is missing).
ifndef MPI
export FM_MPI_BIN := $(abspath $(OBJ)/mpi/bin)
.PHONY: mpi-train
check: mpi-train
mpi-train: ## train built with Open MPI, apart, as build/mpi/bin/train (make check runs tests/mpi.bats with it)
	@if command -v mpicc >/dev/null; then $(MAKE) --no-print-directory MPI=1 BIN=$(OBJ)/mpi/bin $(OBJ)/mpi/bin/train; \
	else echo "mpicc not found: tests/mpi.bats will skip (apt-get install libopenmpi-dev openmpi-bin)"; fi
endif
