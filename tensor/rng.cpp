// rng.cpp — Philox4x32-10 and the fills built on it.
#include "tensor/rng.h"

#include <cmath>

#include "tensor/dtype_dispatch.h"

namespace induction {

std::array<uint32_t, 4> philox4x32(uint64_t counter, uint64_t key) {
    constexpr uint32_t M0 = 0xD2511F53, M1 = 0xCD9E8D57;  // round multipliers
    constexpr uint32_t W0 = 0x9E3779B9, W1 = 0xBB67AE85;  // key schedule (golden ratio, sqrt 3)
    std::array<uint32_t, 4> c = {uint32_t(counter), uint32_t(counter >> 32), 0, 0};
    uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
    for (int round = 0; round < 10; ++round) {
        uint64_t p0 = uint64_t(M0) * c[0], p1 = uint64_t(M1) * c[2];
        c = {uint32_t(p1 >> 32) ^ c[1] ^ k0, uint32_t(p1), uint32_t(p0 >> 32) ^ c[3] ^ k1,
             uint32_t(p0)};
        k0 += W0;
        k1 += W1;
    }
    return c;
}

namespace {

void check_host(const Tensor& t, const char* op) {
    check(t.defined() && t.device() == Device::CPU, op, ": expected a defined host tensor");
}

// Sets element i of t, of element type T, to value(i) for every i; then moves `offset` past the
// counter blocks that the values drew from (element i draws from block offset + i / 4).
template <class T, class Value>
void fill_elements(Tensor& t, uint64_t& offset, Value&& value) {
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = T(value(i));
    offset += (uint64_t(t.numel()) + 3) / 4;
}

// The same for a host tensor of f32 or f64.
template <class Value>
void fill_floating(Tensor& t, const char* op, uint64_t& offset, Value&& value) {
    check_host(t, op);
    with_floating_type(t.dtype(), op, [&](auto zero) {
        fill_elements<decltype(zero)>(t, offset, value);
    });
}

// Word i % 4 of block offset + i / 4: element i's 32 random bits.
uint32_t element_bits(const Rng& rng, int64_t i) {
    return philox4x32(rng.offset + uint64_t(i) / 4, rng.seed)[i % 4];
}

}  // namespace

void Rng::fill_uniform(Tensor& t, double low, double high) {
    fill_floating(t, "fill_uniform", offset, [&](int64_t i) {
        return low + (high - low) * uniform_from_bits(element_bits(*this, i));
    });
}

void Rng::fill_normal(Tensor& t, double mean, double stddev) {
    fill_floating(t, "fill_normal", offset, [&](int64_t i) {
        // Words (0,1) give normals 0 and 1 of a block, words (2,3) normals 2 and 3.
        std::array<uint32_t, 4> block = philox4x32(offset + uint64_t(i) / 4, seed);
        int pair = int(i % 4) / 2;
        double radius = std::sqrt(-2.0 * std::log(uniform_from_bits(block[2 * pair])));
        double angle = 2.0 * M_PI * uniform_from_bits(block[2 * pair + 1]);
        double z = (i % 2 == 0) ? radius * std::cos(angle) : radius * std::sin(angle);
        return mean + stddev * z;
    });
}

void Rng::fill_randint(Tensor& t, int32_t low, int32_t high) {
    check_host(t, "fill_randint");
    check(t.dtype() == DType::I32, "fill_randint: expected an i32 tensor, got ", describe(t));
    check(low < high, "fill_randint: empty range [", low, ", ", high, ")");
    uint64_t range = uint64_t(int64_t(high) - int64_t(low));
    fill_elements<int32_t>(t, offset, [&](int64_t i) {  // Lemire's multiply-shift
        return low + int64_t((uint64_t(element_bits(*this, i)) * range) >> 32);
    });
}

Tensor Rng::uniform(const Shape& shape, double low, double high, DType dtype) {
    Tensor t = Tensor::empty(shape, dtype);
    fill_uniform(t, low, high);
    return t;
}

Tensor Rng::normal(const Shape& shape, double mean, double stddev, DType dtype) {
    Tensor t = Tensor::empty(shape, dtype);
    fill_normal(t, mean, stddev);
    return t;
}

Tensor Rng::randint(const Shape& shape, int32_t low, int32_t high) {
    Tensor t = Tensor::empty(shape, DType::I32);
    fill_randint(t, low, high);
    return t;
}

double Rng::next_uniform() { return uniform_from_bits(philox4x32(offset++, seed)[0]); }

int64_t Rng::next_int(int64_t low, int64_t high) {
    check(low < high, "next_int: empty range [", low, ", ", high, ")");
    std::array<uint32_t, 4> block = philox4x32(offset++, seed);
    uint64_t bits = (uint64_t(block[0]) << 32) | block[1];
    return low + int64_t(bits % uint64_t(high - low));
}

}  // namespace induction
