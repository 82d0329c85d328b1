// elementwise.cpp (fast CPU) — elementwise ops as simple contiguous loops the compiler
// vectorises, split over threads. Broadcasting takes a fast path when one operand is full and
// the other repeats in contiguous blocks (a bias [D], a per-row scalar [..., 1], a per-head gate
// [1, H, 1, 1]); other patterns walk the broadcast index. Unary ops and their backward use the
// FastMath policy (fast_math.h): exp and erf for float vectorise (GELU, exp, sigmoid); f64 calls
// the C library as the reference does.
// Tensors are contiguous.
#include <optional>

#include "tensor/broadcast.h"
#include "tensor/cpu/fast_math.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"
#include "tensor/unary_math.h"

namespace induction::cpu {

namespace {

template <class T, class F>
void binary_loop(const T* a, int64_t a_step, const T* b, int64_t b_step, T* out, int64_t n,
                 F&& apply) {
    if (a_step == 1 && b_step == 1) {
        for (int64_t i = 0; i < n; ++i) out[i] = apply(a[i], b[i]);
    } else if (a_step == 1) {  // b is a scalar over this run
        T bv = b[0];
        for (int64_t i = 0; i < n; ++i) out[i] = apply(a[i], bv);
    } else {
        T av = a[0];
        for (int64_t i = 0; i < n; ++i) out[i] = apply(av, b[i]);
    }
}

// When the small operand s of a broadcast against the output shape o is a block pattern (see
// binary_typed): the output elements each of its values covers (1: it repeats whole, as a tile).
std::optional<int64_t> block_pattern(const Shape& s, const Shape& o) {
    const int pad = o.ndim - s.ndim;  // s is aligned to the right of o
    int first = 0, last = s.ndim - 1;   // s's dims outside [first, last] are 1
    while (first < s.ndim && s[first] == 1) ++first;
    while (last >= first && s[last] == 1) --last;
    if (pad < 0) return std::nullopt;
    for (int k = first; k <= last; ++k)
        if (s[k] != o[pad + k]) return std::nullopt;
    int64_t inner = 1;
    for (int k = pad + last + 1; k < o.ndim; ++k) inner *= o[k];
    return inner;
}

template <class T, class F>
void binary_typed(const BinaryArgs<T>& args, F&& apply) {
    const T *pa = args.a, *pb = args.b;
    T* po = args.out;
    const int64_t n = args.n;
    const bool a_full = args.a_shape.numel() == n;
    const bool b_full = args.b_shape.numel() == n;
    if (a_full && b_full) {
        parallel_for(n, GRAIN, [&](int64_t begin, int64_t end) {
            binary_loop(pa + begin, 1, pb + begin, 1, po + begin, end - begin, apply);
        });
        return;
    }
    // Block patterns: one operand is full and the other, after dropping its leading and trailing
    // 1s, matches a run of the output's dims. With no trailing 1s it repeats whole as a tile (a
    // bias [D] or positions [T, D] against [B, T, D]); with trailing 1s each of its values covers
    // one contiguous block of the output (a per-row scalar [..., 1], a per-head gate [1, H, 1, 1]
    // against [B, H, T, dh]). Either way every block is one contiguous loop.
    if (a_full || b_full) {
        const Shape& small = a_full ? args.b_shape : args.a_shape;
        const T* ps = a_full ? pb : pa;
        const T* pf = a_full ? pa : pb;
        if (small.numel() == 1) {  // a scalar against everything
            parallel_for(n, GRAIN, [&](int64_t begin, int64_t end) {
                if (a_full)
                    binary_loop(pf + begin, 1, ps, 0, po + begin, end - begin, apply);
                else
                    binary_loop(ps, 0, pf + begin, 1, po + begin, end - begin, apply);
            });
            return;
        }
        if (std::optional<int64_t> inner = block_pattern(small, args.out_shape)) {
            const int64_t values = small.numel();
            const bool tile = *inner == 1;
            const int64_t block = tile ? values : *inner;
            const int64_t blocks = n / block;
            const int64_t small_step = tile ? 1 : 0;  // within a block: walk the tile, or hold one value
            parallel_for(blocks, rows_grain(block), [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const T* rs = tile ? ps : ps + r % values;
                    const T* rf = pf + r * block;
                    if (a_full)
                        binary_loop(rf, 1, rs, small_step, po + r * block, block, apply);
                    else
                        binary_loop(rs, small_step, rf, 1, po + r * block, block, apply);
                }
            });
            return;
        }
    }
    BroadcastIndex index(args.out_shape, args.a_shape, args.b_shape);
    parallel_for(n, GRAIN, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            int64_t ia, ib;
            index.offsets(i, ia, ib);
            po[i] = apply(pa[ia], pb[ib]);
        }
    });
}

template <Op OP, class T>
WIDE_SIMD void unary_loop(const T* x, T* y, int64_t n, const OpParams& params) {
    OMP_SIMD()
    for (int64_t i = 0; i < n; ++i) y[i] = unary_value<OP, T, FastMath>(x[i], params);
}

template <Op OP, class T>
WIDE_SIMD void unary_backward_loop(const T* x, const T* y, const T* g, T* dx, int64_t n) {
    OMP_SIMD()
    for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * unary_derivative<OP, T, FastMath>(x[i], y[i]);
}

}  // namespace

void binary(const OpCall& call) {
    with_args<BinaryArgs>(call, [&]<class T>(const BinaryArgs<T>& a) {
        switch (call.op) {
            case Op::ADD: return binary_typed(a, [](T x, T y) { return x + y; });
            case Op::SUB: return binary_typed(a, [](T x, T y) { return x - y; });
            case Op::MUL: return binary_typed(a, [](T x, T y) { return x * y; });
            case Op::DIV: return binary_typed(a, [](T x, T y) { return x / y; });
            default: fail("cpu binary: unexpected op ", op_name(call.op));
        }
    });
}

void unary(const OpCall& call) {
    with_args<UnaryArgs>(call, [&]<class T>(const UnaryArgs<T>& a) {
        with_unary_op(call.op, [&](auto op) {
            parallel_for(a.n, GRAIN, [&](int64_t begin, int64_t end) {
                unary_loop<decltype(op)::value>(a.x + begin, a.y + begin, end - begin, call.params);
            });
        });
    });
}

void unary_backward(const OpCall& call) {
    with_args<UnaryBackwardArgs>(call, [&]<class T>(const UnaryBackwardArgs<T>& a) {
        with_unary_op(call.params.forward_op, [&](auto op) {
            parallel_for(a.n, GRAIN, [&](int64_t begin, int64_t end) {
                unary_backward_loop<decltype(op)::value>(a.x + begin, a.y + begin, a.g + begin,
                                                         a.dx + begin, end - begin);
            });
        });
    });
}

void where(const OpCall& call) {
    with_args<WhereArgs>(call, [&]<class T>(const WhereArgs<T>& a) {
        parallel_for(a.n, GRAIN, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) a.out[i] = a.cond[i] ? a.a[i] : a.b[i];
        });
    });
}

}  // namespace induction::cpu
