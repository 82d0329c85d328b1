// elementwise.cpp (fast CPU) — elementwise ops as simple contiguous loops the compiler
// vectorises, split over threads. Broadcasting takes a fast path when the smaller operand repeats
// as whole inner rows (bias-like [D] against [..., D]) or as a per-row scalar ([..., 1]); other
// patterns walk the broadcast index.
#include "tensor/broadcast.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/unary_math.h"

namespace induction::cpu {

namespace {

constexpr int64_t GRAIN = 1 << 15;  // elements per thread before threading pays off

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

template <class T, class F>
void binary_typed(const OpCall& call, F&& apply) {
    const Tensor &a = call.inputs[0], &b = call.inputs[1];
    Tensor out = call.outputs[0];
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    int64_t n = out.numel();
    int64_t inner = out.shape().ndim ? out.shape().back(1) : 1;
    int64_t rows = inner ? n / inner : 0;
    bool a_full = a.numel() == n, b_full = b.numel() == n;
    if (a_full && b_full) {
        parallel_for(n, GRAIN, [&](int64_t begin, int64_t end) {
            binary_loop(pa + begin, 1, pb + begin, 1, po + begin, end - begin, apply);
        });
        return;
    }
    // Row-wise patterns: each operand is either full, one repeated row of `inner`, or one value
    // per row ([..., 1]).
    auto row_kind = [&](const Tensor& t) {
        if (t.numel() == n) return 0;                                     // full
        if (t.numel() == inner && t.shape().ndim >= 1 && t.shape().back(1) == inner) return 1;  // row
        if (t.numel() == rows && t.shape().ndim >= 1 && t.shape().back(1) == 1 && inner > 1 &&
            out.shape().ndim == t.shape().ndim) return 2;                 // per-row scalar
        return -1;
    };
    int ka = row_kind(a), kb = row_kind(b);
    if (ka >= 0 && kb >= 0 && !(ka == 0 && kb == 0)) {
        parallel_for(rows, std::max<int64_t>(1, GRAIN / std::max<int64_t>(inner, 1)),
                     [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                const T* ra = ka == 0 ? pa + r * inner : ka == 1 ? pa : pa + r;
                const T* rb = kb == 0 ? pb + r * inner : kb == 1 ? pb : pb + r;
                binary_loop(ra, ka == 2 ? 0 : 1, rb, kb == 2 ? 0 : 1, po + r * inner, inner,
                            apply);
            }
        });
        return;
    }
    BroadcastIndex index(out.shape(), a.shape(), b.shape());
    parallel_for(n, GRAIN, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            int64_t ia, ib;
            index.offsets(i, ia, ib);
            po[i] = apply(pa[ia], pb[ib]);
        }
    });
}

}  // namespace

void binary(const OpCall& call) {
    with_floating_type(call.outputs[0].dtype(), op_name(call.op), [&](auto zero) {
        using T = decltype(zero);
        switch (call.op) {
            case Op::ADD: return binary_typed<T>(call, [](T a, T b) { return a + b; });
            case Op::SUB: return binary_typed<T>(call, [](T a, T b) { return a - b; });
            case Op::MUL: return binary_typed<T>(call, [](T a, T b) { return a * b; });
            case Op::DIV: return binary_typed<T>(call, [](T a, T b) { return a / b; });
            default: fail("cpu binary: unexpected op ", op_name(call.op));
        }
    });
}

void unary(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    Tensor out = call.outputs[0];
    with_floating_type(x.dtype(), op_name(call.op), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data<T>();
        T* py = out.data<T>();
        with_unary_op(call.op, [&](auto op) {
            parallel_for(x.numel(), GRAIN, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) py[i] = unary_value<decltype(op)::value>(px[i], call.params);
            });
        });
    });
}

void unary_backward(const OpCall& call) {
    const Tensor &x = call.inputs[0], &y = call.inputs[1], &g = call.inputs[2];
    Tensor dx = call.outputs[0];
    with_floating_type(x.dtype(), "unary_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *py = y.data<T>(), *pg = g.data<T>();
        T* pdx = dx.data<T>();
        with_unary_op(call.params.forward_op, [&](auto op) {
            parallel_for(x.numel(), GRAIN, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i)
                    pdx[i] = pg[i] * unary_derivative<decltype(op)::value>(px[i], py[i]);
            });
        });
    });
}

void where(const OpCall& call) {
    const Tensor &cond = call.inputs[0], &a = call.inputs[1], &b = call.inputs[2];
    Tensor out = call.outputs[0];
    with_floating_type(a.dtype(), "where", [&](auto zero) {
        using T = decltype(zero);
        const int32_t* pc = cond.data<int32_t>();
        const T *pa = a.data<T>(), *pb = b.data<T>();
        T* po = out.data<T>();
        parallel_for(out.numel(), GRAIN, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) po[i] = pc[i] ? pa[i] : pb[i];
        });
    });
}

}  // namespace induction::cpu
