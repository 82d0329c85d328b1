// reduce.cpp (reference) — reductions along one axis, the max gradient and broadcast_to as plain
// loops. Tensors are contiguous; a reduction views x as [outer, n, inner] with n the reduced axis,
// and its output (keepdim or not) as [outer, inner]. Sums accumulate in double.
#include <algorithm>

#include "tensor/broadcast.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/axis_view.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

namespace {

// x viewed as [outer, n, inner] around `axis`.
}  // namespace

void reduce(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    Tensor out = call.outputs[0];
    AxisView v(x.shape(), call.params.axis);
    with_floating_type(x.dtype(), op_name(call.op), [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data<T>();
        T* po = out.data<T>();
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i) {
                const T* column = px + o * v.n * v.inner + i;  // column[k * inner], k < n
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
                po[o * v.inner + i] = static_cast<T>(result);
            }
    });
}

void max_backward(const OpCall& call) {
    const Tensor &x = call.inputs[0], &y = call.inputs[1], &g = call.inputs[2];
    Tensor dx = call.outputs[0];
    AxisView v(x.shape(), call.params.axis);
    with_floating_type(x.dtype(), "max_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *px = x.data<T>(), *py = y.data<T>(), *pg = g.data<T>();
        T* pdx = dx.data<T>();
        std::fill(pdx, pdx + dx.numel(), T(0));
        for (int64_t o = 0; o < v.outer; ++o)
            for (int64_t i = 0; i < v.inner; ++i)
                for (int64_t k = 0; k < v.n; ++k) {
                    int64_t at = (o * v.n + k) * v.inner + i;
                    if (px[at] == py[o * v.inner + i]) {  // the first argmax takes the gradient
                        pdx[at] = pg[o * v.inner + i];
                        break;
                    }
                }
    });
}

void broadcast_to(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    Tensor out = call.outputs[0];
    BroadcastIndex index(out.shape(), x.shape(), x.shape());
    with_floating_type(x.dtype(), "broadcast_to", [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data<T>();
        T* po = out.data<T>();
        for (int64_t i = 0; i < out.numel(); ++i) {
            int64_t from, unused;
            index.offsets(i, from, unused);
            po[i] = px[from];
        }
    });
}

}  // namespace induction::reference
