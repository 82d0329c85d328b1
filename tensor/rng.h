// rng.h — a counter-based random number generator (Philox4x32-10, Salmon et al. 2011).
//
// Philox maps (counter, key) to four random 32-bit words with ten rounds of multiply-xor, so the
// n-th number is a pure function of (seed, n): the same seed gives the same numbers on any thread
// count and, with the same function on the GPU, on CUDA too. An Rng is just (seed, offset); every
// draw of k numbers consumes ceil(k / 4) counter blocks and advances the offset, so saving the
// two integers saves the whole state (resume is exact).
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace induction {

// Ten Philox rounds on a 128-bit counter with a 64-bit key.
std::array<uint32_t, 4> philox4x32(uint64_t counter, uint64_t key);

// Maps a 32-bit word to a uniform double in the open interval (0, 1).
inline double uniform_from_bits(uint32_t bits) { return (bits + 0.5) * (1.0 / 4294967296.0); }

struct Rng {
    uint64_t seed = 0;
    uint64_t offset = 0;  // counter blocks consumed so far

    explicit Rng(uint64_t seed_ = 0, uint64_t offset_ = 0) : seed(seed_), offset(offset_) {}

    // Fills a host tensor (f32/f64; randint: i32). Element i uses block offset + i/4.
    void fill_uniform(Tensor& t, double low = 0, double high = 1);
    void fill_normal(Tensor& t, double mean = 0, double stddev = 1);  // Box–Muller
    void fill_randint(Tensor& t, int32_t low, int32_t high);          // [low, high)

    Tensor uniform(const Shape& shape, double low = 0, double high = 1, DType dtype = DType::F32);
    Tensor normal(const Shape& shape, double mean = 0, double stddev = 1, DType dtype = DType::F32);
    Tensor randint(const Shape& shape, int32_t low, int32_t high);

    // Single draws (each consumes one block), for samplers outside tensors.
    double next_uniform();
    int64_t next_int(int64_t low, int64_t high);  // [low, high)
};

}  // namespace induction
