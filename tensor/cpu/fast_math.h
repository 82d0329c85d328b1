// fast_math.h — helpers for the vectorised inner loops of the fast CPU kernels: OMP_SIMD, and
// fast_exp() and fast_erf(), an exp and an erf the compiler can vectorise (softmax,
// cross-entropy, GELU), gathered with the C library for f64 into the FastMath policy of
// tensor/unary_math.h.
//
// OMP_SIMD(clauses) before a loop is `#pragma omp simd clauses` in OpenMP builds: it lets the
// compiler vectorise float reductions (reordering the sum) without -ffast-math. Without OpenMP
// (NO_OMP=1) it expands to nothing, instead of an ignored-pragma warning per loop.
// WIDE_SIMD before a function lets GCC vectorise it with full 512-bit registers on AVX-512
// targets (by default it keeps to 256 bits), which speeds up loops over fast_exp (tools/bench/LOG.md).
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
//
// fast_erf (float only; f64 keeps std::erf) is odd, so it works on a = |x| and copies the sign
// back. Both branches are computed and one is selected, so there is no branch to break
// vectorisation:
//   a < 1:      erf(a) = a + a * P(a²), P of degree 6 (P(s) ≈ erf(√s)/√s - 1; writing the leading
//               2/√π as 1 + 0.128... keeps its rounding error out of the result);
//   1 <= a:     erf(a) = 1 - exp(L(a) - a²), L of degree 6 in (a - 2.5), L(a) ≈ log(erfc(a)) + a²,
//               with a clamped to 4, where erfc(a) < 2^-25 and the float result is 1.
// P and L are weighted minimax fits (Lawson's iteration: relative error of erf for P, absolute
// error of erf for L) whose coefficients were rounded to float one at a time from the lowest,
// refitting the rest after each; before float evaluation the fits are within 1.5e-9.
// Accuracy (checked offline against every float; swept in tests/tensor/test_elementwise.cpp): max
// absolute error 6.6e-8 (1.1 ulp) against double std::erf, 6.0e-8 (1 ulp) against float std::erf,
// with FMA (-march=native); 7.9e-8 without FMA. erf(±inf) = ±1, erf(-0) = -0, NaN stays NaN.
#pragma once

#include <array>
#include <bit>
#include <cmath>
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

// erf for float, vectorisable (see the header comment for the method and its accuracy).
inline float fast_erf(float x) {
    // P(s) ≈ erf(√s)/√s - 1 on s = a² in [0, 1]: relative error of erf 1.4e-9.
    constexpr std::array<float, 7> P = {0.128379166f,   -0.37612626f,   0.112835787f,
                                        -0.0268533472f, 0.0051871622f, -0.00079978531f,
                                        7.80690389e-05f};
    // L(a) ≈ log(erfc(a)) + a² in powers of (a - 2.5) on [1, 4]: absolute error of erf 1.0e-9.
    constexpr std::array<float, 7> L = {-1.55681777f,   -0.352693826f,  0.0561148264f,
                                        -0.0107177161f, 0.00245767366f, -0.00015609499f,
                                        0.000185551209f};
    constexpr float SPLIT = 1.0f, CENTER = 2.5f, CLAMP = 4.0f;
    float a = std::abs(x);
    a = a < CLAMP ? a : CLAMP;  // also turns NaN into CLAMP; restored below
    float s = a * a;
    float p = P[6];
    for (int k = 5; k >= 0; --k) p = p * s + P[k];  // Horner
    float small = a + a * p;
    float t = a - CENTER;
    float l = L[6];
    for (int k = 5; k >= 0; --k) l = l * t + L[k];
    float large = 1.0f - fast_exp(l - s);
    float result = std::copysign(a < SPLIT ? small : large, x);
    return x == x ? result : x;  // NaN in, NaN out
}

// The math policy of the fast CPU kernels for tensor/unary_math.h: vectorisable exp and erf for
// float, the C library for double (f64 stays exact). The reference kernels use StdMath.
struct FastMath {
    static float exp(float x) { return fast_exp(x); }
    static float erf(float x) { return fast_erf(x); }
    static double exp(double x) { return std::exp(x); }
    static double erf(double x) { return std::erf(x); }
};

}  // namespace induction::cpu
