// batches.cpp — the epoch permutations and batch assembly.
#include "train/batches.h"

#include <numeric>

#include "tensor/error.h"
#include "tensor/rng.h"

namespace induction {

WindowSampler::WindowSampler(const TokenFile& tokens, int64_t context, uint64_t seed)
    : tokens_(tokens), context_(context), seed_(seed), windows_(tokens.size() / context) {
    check(context >= 2, "batches: context must be at least 2, got ", context);
    check(windows_ >= 1, "batches: ", tokens.path(), " holds ", tokens.size(),
          " tokens, fewer than one window of ", context);
}

const std::vector<int64_t>& WindowSampler::permutation(int64_t epoch) {
    if (epoch != cached_epoch_) {
        cached_permutation_.resize(size_t(windows_));
        std::iota(cached_permutation_.begin(), cached_permutation_.end(), int64_t{0});
        Rng rng(seed_ ^ (0x9E3779B97F4A7C15ull * uint64_t(epoch + 1)));
        for (int64_t i = windows_ - 1; i > 0; --i)  // Fisher–Yates
            std::swap(cached_permutation_[size_t(i)], cached_permutation_[size_t(rng.next_int(0, i + 1))]);
        cached_epoch_ = epoch;
    }
    return cached_permutation_;
}

Tensor WindowSampler::batch(int64_t step, int64_t batch_size) {
    Tensor out = Tensor::empty({batch_size, context_}, DType::I32);
    int32_t* rows = out.data<int32_t>();
    for (int64_t b = 0; b < batch_size; ++b) {
        int64_t index = step * batch_size + b;
        int64_t window = permutation(index / windows_)[size_t(index % windows_)];
        tokens_.copy(window * context_, context_, rows + b * context_);
    }
    return out;
}

double WindowSampler::epochs_after(int64_t steps, int64_t batch_size) const {
    return double(steps) * double(batch_size) / double(windows_);
}

}  // namespace induction
