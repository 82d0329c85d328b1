// fast_math.h — helpers for the vectorised inner loops of the fast CPU kernels: OMP_SIMD, and
// fast_exp(), an exp the compiler can vectorise (softmax, cross-entropy).
//
// OMP_SIMD(clauses) before a loop is `#pragma omp simd clauses` in OpenMP builds: it lets the
// compiler vectorise float reductions (reordering the sum) without -ffast-math. Without OpenMP
// (NO_OMP=1) it expands to nothing, instead of an ignored-pragma warning per loop.
// WIDE_SIMD before a function lets GCC vectorise it with full 512-bit registers on AVX-512
// targets (by default it keeps to 256 bits); loops over fast_exp run about 1.7x faster with it.
//
// std::exp is an opaque library call that keeps a loop scalar; fast_exp is plain arithmetic and
// bit operations, so OMP_SIMD loops over it become AVX-512 (or AVX2/SSE) code.
// Method: exp(x) = 2^n * exp(r) with n = round(x / ln 2) and r = x - n ln 2, |r| <= ln(2)/2.
// r is formed in two steps with ln 2 split into a short head (exact when multiplied by n) and a
// tail (Cody–Waite), exp(r) is its Taylor polynomial (degree 7 for float, 13 for double: the
// truncation error r^(d+1)/(d+1)! is below half an ulp), and 2^n is built in the exponent bits.
//
// Accuracy (checked in tests/tensor/test_softmax.cpp), max relative error:
//   float:  7.9e-8 (under 1 ulp) against double std::exp, over 2e7 points of [-87, 88];
//   double: 2.3e-16 (about 1 ulp) against std::exp, 1.4e-16 against long double, on [-700, 700].
// Domain: results below the smallest normal number flush to 0 (x < -87.33 for float,
// x < -708.39 for double), x above 88.37 (float) / 709.43 (double) gives +inf, NaN stays NaN.
// The softmax kernels only ever pass x - max(x) <= 0.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <limits>

#ifdef _OPENMP
#define INDUCTION_PRAGMA(text) _Pragma(#text)
#define OMP_SIMD(...) INDUCTION_PRAGMA(omp simd __VA_ARGS__)
#else
#define OMP_SIMD(...)
#endif

#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define WIDE_SIMD __attribute__((target("prefer-vector-width=512")))
#else
#define WIDE_SIMD
#endif

namespace induction::cpu {

template <class T> struct ExpTraits;

template <> struct ExpTraits<float> {
    using Int = int32_t;
    using Bits = uint32_t;
    static constexpr int MANTISSA_BITS = 23, EXPONENT_BIAS = 127, DEGREE = 7;
    static constexpr float MIN_X = -87.33f;                      // n >= -126: 2^n is normal
    static constexpr float MAX_X = 88.37f;                       // n <= 127
    static constexpr float LN2_HEAD = 0.693359375f;              // 355/512: n * LN2_HEAD exact
    static constexpr float LN2_TAIL = -2.12194440054690583e-4f;  // ln 2 - LN2_HEAD
    static constexpr float ROUND = 12582912.0f;  // 1.5 * 2^23: (t + ROUND) - ROUND rounds t
};

template <> struct ExpTraits<double> {
    using Int = int64_t;
    using Bits = uint64_t;
    static constexpr int MANTISSA_BITS = 52, EXPONENT_BIAS = 1023, DEGREE = 13;
    static constexpr double MIN_X = -708.39;                      // n >= -1022
    static constexpr double MAX_X = 709.43;                       // n <= 1023
    static constexpr double LN2_HEAD = 0.693147180369123816490;   // 32 significant bits
    static constexpr double LN2_TAIL = 1.90821492927058770002e-10;  // ln 2 - LN2_HEAD
    static constexpr double ROUND = 6755399441055744.0;  // 1.5 * 2^52
};

// 1/k! for k = 0..DEGREE, the Taylor coefficients of exp, computed at compile time.
template <class T>
constexpr std::array<T, ExpTraits<T>::DEGREE + 1> exp_taylor_coefficients() {
    std::array<T, ExpTraits<T>::DEGREE + 1> c{};
    double factorial = 1;
    for (int k = 0; k <= ExpTraits<T>::DEGREE; ++k) {
        if (k > 0) factorial *= k;
        c[k] = static_cast<T>(1.0 / factorial);
    }
    return c;
}

template <class T>
inline T fast_exp(T x) {
    using E = ExpTraits<T>;
    constexpr auto taylor = exp_taylor_coefficients<T>();
    constexpr T LOG2E = T(1.4426950408889634074);
    // Clamp into the range where 2^n is a normal number (a NaN becomes MIN_X here; restored below).
    T clamped = x > E::MIN_X ? x : E::MIN_X;
    clamped = clamped < E::MAX_X ? clamped : E::MAX_X;
    T n = (clamped * LOG2E + E::ROUND) - E::ROUND;
    T r = (clamped - n * E::LN2_HEAD) - n * E::LN2_TAIL;
    T p = taylor[E::DEGREE];
    for (int k = E::DEGREE - 1; k >= 0; --k) p = p * r + taylor[k];  // Horner
    using Bits = typename E::Bits;
    Bits exponent = static_cast<Bits>(static_cast<typename E::Int>(n) + E::EXPONENT_BIAS);
    T two_to_n = std::bit_cast<T>(static_cast<Bits>(exponent << E::MANTISSA_BITS));
    T result = p * two_to_n;
    result = x < E::MIN_X ? T(0) : result;
    result = x > E::MAX_X ? std::numeric_limits<T>::infinity() : result;
    return x == x ? result : x;  // NaN in, NaN out
}

}  // namespace induction::cpu
