# Shared by every tests/*.bats: programs from bin/, fixtures and samples paths.
bats_require_minimum_version 1.5.0
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="${FM_BIN:-$TOP/bin}:$PATH"
FIX="$TOP/tests/fixtures"
SAMPLES="$TOP/samples"
export LC_ALL=C
