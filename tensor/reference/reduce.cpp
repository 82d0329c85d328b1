// reduce.cpp (reference) — reductions along one axis, the max gradient and broadcast_to as plain
// loops. Tensors are contiguous; a reduction views x as [outer, n, inner] with n the reduced axis,
// and its output (keepdim or not) as [outer, inner]. Sums accumulate in double.
#include <algorithm>

#include "tensor/kernel_args.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

void reduce(const OpCall& call) {
    with_args<ReduceArgs>(call, [&]<class T>(const ReduceArgs<T>& a) {
        const AxisView& v = a.v;
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i) {
                const T* column = a.x + o * v.n * v.inner + i;  // column[k * inner], k < n
                double result;
                if (call.op == Op::MAX) {
                    result = column[0];
                    for (int64_t k = 1; k < v.n; ++k)
                        if (column[k * v.inner] > result) result = column[k * v.inner];
                } else {
                    double total = 0;
                    for (int64_t k = 0; k < v.n; ++k) total += column[k * v.inner];
                    result = call.op == Op::MEAN ? total / static_cast<double>(v.n) : total;
                }
                a.out[o * v.inner + i] = static_cast<T>(result);
            }
    });
}

void max_backward(const OpCall& call) {
    with_args<MaxBackwardArgs>(call, [&]<class T>(const MaxBackwardArgs<T>& a) {
        const AxisView& v = a.v;
        std::fill(a.dx, a.dx + v.outer * v.n * v.inner, T(0));
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i)
                for (int64_t k = 0; k < v.n; ++k)
                    if (a.x[v.at(o, k, i)] == a.y[o * v.inner + i]) {  // the first argmax takes it
                        a.dx[v.at(o, k, i)] = a.g[o * v.inner + i];
                        break;
                    }
    });
}

void broadcast_to(const OpCall& call) {
    with_args<BroadcastToArgs>(call, [&]<class T>(const BroadcastToArgs<T>& a) {
        for (int64_t i = 0; i < a.n; ++i) {
            int64_t from, unused;
            a.index.offsets(i, from, unused);
            a.out[i] = a.x[from];
        }
    });
}

}  // namespace induction::reference
