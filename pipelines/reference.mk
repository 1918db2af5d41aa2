# reference.mk - the PyTorch reference check's C side (llm.c's habit: the C
# forward/backward compared with a PyTorch build of the same network).
#   tests/tools/nn_reference.c  dumps probabilities, loss and gradients  -> $(OBJ)/tests/nn_reference
#   tests/reference/torch_check.py compares them with torch; tests/reference.bats runs both.
# A test tool, not a filter and not a unit test: it is built for `make check`
# and the bats test finds it through FM_NN_REFERENCE.

NN_REFERENCE := $(OBJ)/tests/nn_reference

$(NN_REFERENCE): $(OBJ)/tests/tools/nn_reference.o $(OBJ)/libfm.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(OBJ)/tests/tools/nn_reference.d

check: $(NN_REFERENCE)
check: export FM_NN_REFERENCE := $(abspath $(NN_REFERENCE))
