// elementwise.cpp (reference) — one plain loop per op family over the flat output index.
#include "tensor/broadcast.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/reference/kernels.h"
#include "tensor/unary_math.h"

namespace induction::reference {

namespace {

template <class T>
T binary_value(Op op, T a, T b) {
    switch (op) {
        case Op::ADD: return a + b;
        case Op::SUB: return a - b;
        case Op::MUL: return a * b;
        case Op::DIV: return a / b;
        default: return T(0);
    }
}

}  // namespace

void binary(const OpCall& call) {
    const Tensor &a = call.inputs[0], &b = call.inputs[1];
    Tensor out = call.outputs[0];
    BroadcastIndex index(out.shape(), a.shape(), b.shape());
    with_floating_type(out.dtype(), op_name(call.op), [&](auto zero) {
        using T = decltype(zero);
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        T* po = out.data<T>();
        for (int64_t i = 0; i < out.numel(); ++i) {
            int64_t ia, ib;
            index.offsets(i, ia, ib);
            po[i] = binary_value(call.op, pa[ia], pb[ib]);
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
            for (int64_t i = 0; i < x.numel(); ++i) py[i] = unary_value<decltype(op)::value>(px[i], call.params);
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
            for (int64_t i = 0; i < x.numel(); ++i)
                pdx[i] = pg[i] * unary_derivative<decltype(op)::value>(px[i], py[i]);
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
        for (int64_t i = 0; i < out.numel(); ++i) po[i] = pc[i] ? pa[i] : pb[i];
    });
}

}  // namespace induction::reference
