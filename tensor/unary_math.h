// unary_math.h — the scalar definition of every unary op and its derivative.
//
// Shared by the reference and fast kernels (and later the CUDA ones): the tiers differ in how
// they loop, and in the exp and erf they call, not in the formulas. The op is a template parameter
// so that a kernel's inner loop contains no switch and vectorises; with_unary_op() turns a runtime
// Op into that parameter. The Math parameter supplies exp and erf: StdMath (the C library) for the
// reference kernels, cpu::FastMath (tensor/cpu/fast_math.h: vectorisable float versions within
// about 1 ulp, the C library for double) for the fast CPU kernels.
#pragma once

#include <cmath>
#include <type_traits>

#include "tensor/op.h"

namespace induction {

struct StdMath {
    template <class T> static T exp(T x) { return std::exp(x); }
    template <class T> static T erf(T x) { return std::erf(x); }
};

template <Op OP, class T, class Math = StdMath>
inline T unary_value(T x, const OpParams& params) {
    if constexpr (OP == Op::NEG) return -x;
    else if constexpr (OP == Op::EXP) return Math::exp(x);
    else if constexpr (OP == Op::LOG) return std::log(x);
    else if constexpr (OP == Op::SQRT) return std::sqrt(x);
    else if constexpr (OP == Op::RELU) return x > T(0) ? x : T(0);
    else if constexpr (OP == Op::GELU) return T(0.5) * x * (T(1) + Math::erf(x * T(M_SQRT1_2)));
    else if constexpr (OP == Op::SIGMOID) return T(1) / (T(1) + Math::exp(-x));
    else if constexpr (OP == Op::SCALE) return T(params.alpha) * x + T(params.beta);
    else static_assert(OP == Op::NEG, "not a unary op");
}

// f'(x), given x and y = f(x). SCALE's derivative is its alpha (see scale() in tensor/ops.h).
template <Op OP, class T, class Math = StdMath>
inline T unary_derivative(T x, T y) {
    if constexpr (OP == Op::NEG) return T(-1);
    else if constexpr (OP == Op::EXP) return y;
    else if constexpr (OP == Op::LOG) return T(1) / x;
    else if constexpr (OP == Op::SQRT) return T(0.5) / y;
    else if constexpr (OP == Op::RELU) return x > T(0) ? T(1) : T(0);
    else if constexpr (OP == Op::GELU) {  // Φ(x) + x φ(x)
        T cdf = T(0.5) * (T(1) + Math::erf(x * T(M_SQRT1_2)));
        T pdf = Math::exp(T(-0.5) * x * x) * T(0.3989422804014327);  // φ(x) = e^{-x²/2} / sqrt(2π)
        return cdf + x * pdf;
    } else if constexpr (OP == Op::SIGMOID) return y * (T(1) - y);
    else return T(0);
}

inline bool is_unary(Op op) {
    switch (op) {
        case Op::NEG: case Op::EXP: case Op::LOG: case Op::SQRT: case Op::RELU: case Op::GELU:
        case Op::SIGMOID: case Op::SCALE: return true;
        default: return false;
    }
}

// Calls body(std::integral_constant<Op, op>{}) for a unary op.
template <class Body>
void with_unary_op(Op op, Body&& body) {
    switch (op) {
        case Op::NEG: return body(std::integral_constant<Op, Op::NEG>{});
        case Op::EXP: return body(std::integral_constant<Op, Op::EXP>{});
        case Op::LOG: return body(std::integral_constant<Op, Op::LOG>{});
        case Op::SQRT: return body(std::integral_constant<Op, Op::SQRT>{});
        case Op::RELU: return body(std::integral_constant<Op, Op::RELU>{});
        case Op::GELU: return body(std::integral_constant<Op, Op::GELU>{});
        case Op::SIGMOID: return body(std::integral_constant<Op, Op::SIGMOID>{});
        case Op::SCALE: return body(std::integral_constant<Op, Op::SCALE>{});
        default: fail("with_unary_op: ", op_name(op), " is not a unary op");
    }
}

}  // namespace induction
