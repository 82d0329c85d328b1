// elementwise.cpp (reference) — one plain loop per op family over the flat output index.
#include "tensor/broadcast.h"
#include "tensor/kernel_args.h"
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
    with_args<BinaryArgs>(call, [&]<class T>(const BinaryArgs<T>& a) {
        BroadcastIndex index(a.out_shape, a.a_shape, a.b_shape);
        for (int64_t i = 0; i < a.n; ++i) {
            int64_t ia, ib;
            index.offsets(i, ia, ib);
            a.out[i] = binary_value(call.op, a.a[ia], a.b[ib]);
        }
    });
}

void unary(const OpCall& call) {
    with_args<UnaryArgs>(call, [&]<class T>(const UnaryArgs<T>& a) {
        with_unary_op(call.op, [&](auto op) {
            for (int64_t i = 0; i < a.n; ++i)
                a.y[i] = unary_value<decltype(op)::value>(a.x[i], call.params);
        });
    });
}

void unary_backward(const OpCall& call) {
    with_args<UnaryBackwardArgs>(call, [&]<class T>(const UnaryBackwardArgs<T>& a) {
        with_unary_op(call.params.forward_op, [&](auto op) {
            for (int64_t i = 0; i < a.n; ++i)
                a.dx[i] = a.g[i] * unary_derivative<decltype(op)::value>(a.x[i], a.y[i]);
        });
    });
}

void where(const OpCall& call) {
    with_args<WhereArgs>(call, [&]<class T>(const WhereArgs<T>& a) {
        for (int64_t i = 0; i < a.n; ++i) a.out[i] = a.cond[i] ? a.a[i] : a.b[i];
    });
}

}  // namespace induction::reference
