// batches.h — training batches: windows of a token stream in a seeded random order.
//
// The stream is cut into non-overlapping windows of `context` tokens. Each epoch visits every
// window once, in a permutation drawn from (seed, epoch); step s takes the next batch_size
// windows of that endless sequence. A batch is a pure function of (seed, step), so resuming at a
// step needs no sampler state, and every model trained with the same seed sees the same data in
// the same order (as [O]'s models did).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"
#include "train/token_file.h"

namespace induction {

class WindowSampler {
public:
    WindowSampler(const TokenFile& tokens, int64_t context, uint64_t seed);

    int64_t windows_per_epoch() const { return windows_; }
    // tokens: i32 [batch_size, context] for optimizer step `step`.
    Tensor batch(int64_t step, int64_t batch_size);
    // How many times each window has been seen, on average, after `steps` steps.
    double epochs_after(int64_t steps, int64_t batch_size) const;

private:
    const std::vector<int64_t>& permutation(int64_t epoch);

    const TokenFile& tokens_;
    int64_t context_;
    uint64_t seed_;
    int64_t windows_;
    int64_t cached_epoch_ = -1;
    std::vector<int64_t> cached_permutation_;
};

}  // namespace induction
