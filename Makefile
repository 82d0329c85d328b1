# Makefile — the primary build of induction.
#
#   make              build/induction (the CLI) and build/libinduction.a
#   make test         build and run every GoogleTest suite (FILTER=Pattern* to select)
#   make test-sanitize  the GoogleTest suites alone, built and run under ASan+UBSan (SANITIZE=1)
#   make fuzz         build the libFuzzer targets with clang and run each for FUZZ_SECONDS (60)
#   make stress       kill a training run STRESS_KILLS (20) times and resume it; nothing may be lost
#   make bench        build and run the benchmarks (induction bench)
#   make run          build, install the corpus packages if missing, run the main job (induction run)
#
# Switches: NO_OMP=1, NO_CUDA=1, DEBUG=1, SANITIZE=1 (ASan+UBSan), PORTABLE=1 (no -march=native).
# Each combination of switches builds into its own directory, so variants never mix objects.

# Build on every core unless the caller chose a -j.
ifeq ($(filter -j%,$(MAKEFLAGS)),)
  MAKEFLAGS += -j$(shell nproc)
endif

CXX      ?= g++
NVCC     ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CXXSTD   := -std=c++20
WARN     := -Wall -Wextra -Wno-unused-parameter
INCLUDES := -I.

# ---- variant ----------------------------------------------------------------------------------
VARIANT :=
ifeq ($(DEBUG),1)
  OPT := -O0 -g
  VARIANT := $(VARIANT)-debug
else
  OPT := -O3 -g1
endif
ifeq ($(PORTABLE),1)
  ARCH :=
  VARIANT := $(VARIANT)-portable
else
  ARCH := -march=native
endif
ifeq ($(SANITIZE),1)
  SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  VARIANT := $(VARIANT)-sanitize
endif

# ---- OpenMP ------------------------------------------------------------------------------------
ifneq ($(NO_OMP),1)
  HAVE_OMP := $(shell echo 'int main(){return 0;}' | $(CXX) -fopenmp -x c++ - -o /dev/null \
                2>/dev/null && echo 1)
endif
ifeq ($(HAVE_OMP),1)
  OMP := -fopenmp
  OMP_STATUS := ✓ OpenMP
else
  VARIANT := $(VARIANT)-no-omp
  OMP_STATUS := ✗ OpenMP (serial build$(if $(filter 1,$(NO_OMP)), - NO_OMP=1,))
endif

# ---- CUDA --------------------------------------------------------------------------------------
CUDA_SOURCES := $(wildcard tensor/cuda/*.cu)
ifneq ($(NO_CUDA),1)
  ifneq ($(NVCC),)
    CUDA_HOME := $(patsubst %/bin/nvcc,%,$(NVCC))
    HAVE_CUBLAS := $(shell test -e $(CUDA_HOME)/include/cublas_v2.h && echo 1)
  endif
endif
ifeq ($(and $(NVCC),$(HAVE_CUBLAS),$(CUDA_SOURCES)),)
  CUDA_STATUS := ✗ CUDA backend ($(if $(filter 1,$(NO_CUDA)),NO_CUDA=1,$(if $(NVCC),$(if $(CUDA_SOURCES),cuBLAS headers not found,nvcc + cuBLAS found at $(CUDA_HOME) but no CUDA kernels in tensor/cuda yet),nvcc not found)))
  CUDA_OBJECTS :=
  CUDA_LIBS :=
else
  CUDA_STATUS := ✓ CUDA backend (nvcc + cuBLAS at $(CUDA_HOME))
  VARIANT := $(VARIANT)-cuda
  CUDA_DEFINES := -DINDUCTION_CUDA
  CUDA_LIBS := -L$(CUDA_HOME)/lib64 -lcudart -lcublas -Wl,-rpath,$(CUDA_HOME)/lib64
endif

# ---- code placement ----------------------------------------------------------------------------
# Skylake-derived cores, with Intel's fix for the "jump conditional code" (JCC) erratum, keep no
# decoded micro-ops for a jump that crosses or ends on a 32-byte boundary: a loop whose closing
# branch lands there goes through the legacy decoders on every iteration, which slows hot loops
# such as the FMA peak loop markedly (tools/bench/LOG.md has a measurement). The assembler can pad
# code so that no branch lands there; speeds then do not depend on where the linker happened to
# put a loop.
JCC_PADDING := $(shell echo 'int main(){return 0;}' | $(CXX) -Wa,-mbranches-within-32B-boundaries \
                 -x c++ - -o /dev/null 2>/dev/null && echo -Wa,-mbranches-within-32B-boundaries)

BUILD ?= build$(if $(VARIANT),/variant$(VARIANT),)
CXXFLAGS := $(CXXSTD) $(OPT) $(ARCH) $(JCC_PADDING) $(OMP) $(SAN) $(WARN) $(INCLUDES) $(CUDA_DEFINES) -MMD -MP
# Objects depend on the flags they were compiled with, so changing a flag rebuilds them.
FLAGS_STAMP := $(BUILD)/compile-flags
$(shell mkdir -p $(BUILD) && (echo '$(CXXFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(CXXFLAGS)' > $(FLAGS_STAMP)))
LDFLAGS  := $(OMP) $(SAN)

# ---- sources -----------------------------------------------------------------------------------
LIB_SOURCES  := $(wildcard tensor/*.cpp tensor/reference/*.cpp tensor/cpu/*.cpp autograd/*.cpp \
                           model/*.cpp model/io/*.cpp train/*.cpp analysis/*.cpp analysis/report/*.cpp)
CLI_SOURCES  := $(wildcard tools/*.cpp tools/bench/*.cpp tools/clamp/*.cpp)
# tests/fuzz/ holds libFuzzer targets, built apart by `make fuzz` (below).
TEST_SOURCES := $(filter-out tests/fuzz/%,$(wildcard tests/*/*.cpp))
# CLI sources that tests/tools/ tests, linked into the test binary beside the library.
TESTED_CLI_SOURCES := tools/seed_summary.cpp tools/args.cpp tools/analysis_inputs.cpp tools/clamp/lm_bridge.cpp

LIB_OBJECTS  := $(LIB_SOURCES:%.cpp=$(BUILD)/obj/%.o) \
                $(if $(CUDA_DEFINES),$(CUDA_SOURCES:%.cu=$(BUILD)/obj/%.o),)
CLI_OBJECTS  := $(CLI_SOURCES:%.cpp=$(BUILD)/obj/%.o)
TEST_OBJECTS := $(TEST_SOURCES:%.cpp=$(BUILD)/obj/%.o) $(TESTED_CLI_SOURCES:%.cpp=$(BUILD)/obj/%.o)

LIB   := $(BUILD)/libinduction.a
CLI   := $(BUILD)/induction
TESTS := $(BUILD)/tests/induction_tests

.PHONY: all test unit-tests test-sanitize fuzz stress bench run status clean FORCE
all: status $(CLI)

status:
	@echo "induction build ($(BUILD)):"
	@echo "  $(OMP_STATUS)"
	@echo "  $(CUDA_STATUS)"
	@echo "  $(if $(ARCH),✓ -march=native,✗ -march=native (PORTABLE=1))$(if $(SAN),  ✓ ASan+UBSan,)$(if $(filter 1,$(DEBUG)),  ✓ debug -O0,)"
	@echo "  $(if $(JCC_PADDING),✓ branches padded off 32-byte boundaries (JCC erratum),✗ no JCC-erratum padding (assembler lacks -mbranches-within-32B-boundaries))"

$(BUILD)/obj/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -std=c++20 -O3 $(INCLUDES) $(CUDA_DEFINES) -c $< -o $@

$(LIB): $(LIB_OBJECTS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(CLI_OBJECTS) $(LIB)
	$(CXX) $(LDFLAGS) $(CLI_OBJECTS) $(LIB) -o $@ -lbenchmark -lpthread -ldl $(CUDA_LIBS)

$(TESTS): $(TEST_OBJECTS) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $(TEST_OBJECTS) $(LIB) -o $@ -lgtest -lgtest_main -lpthread -ldl $(CUDA_LIBS)

# Every GoogleTest suite, then the CLI's bad-input catalogue (tests/cli/bad_inputs.py), the
# layout check (tests/style/check_layout.py: includes point down the layers, no function over 80
# lines), then the browser check: a `run --quick` whose report.html is opened in headless Chromium
# (tests/browser/quick_run_check.sh; it says when it skips). FILTER= runs only the selected
# GoogleTest cases.
test: unit-tests
	$(if $(FILTER),,python3 tests/cli/bad_inputs.py $(CLI))
	$(if $(FILTER),,python3 tests/style/check_layout.py)
	$(if $(FILTER),,tests/browser/quick_run_check.sh $(CLI) $(BUILD)/quick-run)

unit-tests: status $(TESTS) $(CLI)
	INDUCTION_CLI=$(abspath $(CLI)) $(TESTS) $(if $(FILTER),--gtest_filter='$(FILTER)',) --gtest_brief=1

# The GoogleTest suites (not the browser check) under ASan+UBSan: the SANITIZE=1 variant, in its
# own build directory. CI runs it after `make test`.
test-sanitize:
	$(MAKE) SANITIZE=1 unit-tests

# Kill-and-resume stress test (tests/stress/kill_and_resume.py): trains a small run, SIGKILLs it
# STRESS_KILLS times (inside every kind of file write and at random moments), resumes it each
# time, checks every snapshot on disk loads and the finished run equals an uninterrupted one byte
# for byte. Needs the built-in corpus (as `make run` does). CI runs it with a small count.
STRESS_KILLS ?= 20
stress: status $(CLI)
	tools/install_corpus_packages.sh
	python3 tests/stress/kill_and_resume.py $(CLI) --kills $(STRESS_KILLS)

bench: status $(CLI)
	$(CLI) bench

# The main job on the built-in corpus: installs the corpus packages when missing, then trains the
# family, analyzes every snapshot and writes runs/default/report.html. QUICK=1 for the short version.
run: status $(CLI)
	tools/install_corpus_packages.sh
	$(CLI) run $(if $(filter 1,$(QUICK)),--quick,)

clean:
	rm -rf build

# ---- fuzzing -----------------------------------------------------------------------------------
# One libFuzzer target per reader of outside data (tests/fuzz/*.cpp), built with clang, ASan and
# UBSan into build/fuzz/, apart from every other variant: the library is compiled there again,
# serially (no OpenMP) and instrumented for coverage. `make fuzz` runs each target for
# FUZZ_SECONDS, starting from its committed seeds (tests/fuzz/corpus/<target>/), prints a table of
# executions, and fails when any target crashes (tests/fuzz/run_fuzzers.sh).
FUZZ_SECONDS  ?= 60
FUZZ_CXX      ?= clang++
FUZZ_BUILD    := build/fuzz
FUZZ_CXXFLAGS := $(CXXSTD) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer $(WARN) $(INCLUDES) -MMD -MP
FUZZ_TARGETS  := $(basename $(notdir $(wildcard tests/fuzz/*.cpp)))
FUZZ_BINARIES := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/%)
# The readers' layers, and from analysis/ only losses.cpp (read_token_rows).
FUZZ_LIB_SOURCES := $(filter-out analysis/%,$(LIB_SOURCES)) analysis/losses.cpp
FUZZ_LIB_OBJECTS := $(FUZZ_LIB_SOURCES:%.cpp=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB      := $(FUZZ_BUILD)/libinduction.a
FUZZ_FLAGS_STAMP := $(FUZZ_BUILD)/compile-flags

# Rewritten only when the flags change, so that changing them rebuilds the fuzz objects.
$(FUZZ_FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_CXX) $(FUZZ_CXXFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CXX) $(FUZZ_CXXFLAGS)' > $@

$(FUZZ_BUILD)/obj/%.o: %.cpp $(FUZZ_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJECTS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINARIES): $(FUZZ_BUILD)/bin/%: tests/fuzz/%.cpp $(FUZZ_LIB) $(FUZZ_FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -o $@ -ldl

fuzz: $(FUZZ_BINARIES)
	tests/fuzz/run_fuzzers.sh $(FUZZ_SECONDS) $(FUZZ_BINARIES)

-include $(LIB_OBJECTS:.o=.d) $(CLI_OBJECTS:.o=.d) $(TEST_OBJECTS:.o=.d)
-include $(FUZZ_LIB_OBJECTS:.o=.d) $(FUZZ_BINARIES:=.d)
