// parity.h — the every-op parity harness, in the spirit of ggml's test-backend-ops.
//
// A case is a few lines calling public ops (tensor/ops.h) on seeded random inputs. The harness
// runs it once on the reference backend with a CallRecorder, which captures every OpCall it
// dispatched together with the reference outputs. It then replays each call on the backend under
// test, at 1 thread and at N threads, into fresh outputs that are poisoned first (NaN, so an
// element a kernel forgets to write fails) and sit between guard regions (so a kernel that writes
// past either end fails), and checks: guards intact, outputs within the tolerance policy
// (tensor/tolerance.h; the reference backend against itself: bitwise), 1 and N threads bitwise
// equal. Coverage comes from the recorder too: the (backend, op) pairs that dispatch() actually
// ran, so an op without a kernel or without a case shows up as a gap.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tensor/backend.h"
#include "tensor/tolerance.h"

namespace induction::testing {

struct ParityCase {
    std::string name;                  // "softmax causal f32 [2, 3, 9, 9]"
    std::function<void()> run;         // calls public ops; their results are not needed
    std::optional<Tolerance> tolerance;  // default: tolerance_for(output dtype)
};

// Every case of every op family (tests/tensor/parity_cases.cpp).
std::vector<ParityCase> parity_cases();

struct ParityReport {
    std::vector<std::string> failures;  // one line per failed check
    std::vector<std::string> gaps;      // "softmax: no kernel", "softmax: no case ran"
    int64_t calls_checked = 0;
};

// Runs every case's calls on `backend` as described above. `threads` is N (>= 2).
ParityReport run_parity(const Backend& backend, const std::vector<ParityCase>& cases, int threads);

}  // namespace induction::testing
