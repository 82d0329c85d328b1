// layout.cpp (reference) — shift, slice, concat and permute as plain loops over output elements.
// Tensors are contiguous; an op along `axis` views its tensors as [outer, n, inner] with n that
// axis. Elements are moved as opaque bytes, so one loop serves every dtype; only SHIFT_BACKWARD
// adds values (in double).
#include <cstring>

#include "tensor/kernel_args.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

namespace {

// to[to_index] = from[from_index], element by element whatever the dtype.
void copy_element(const Tensor& to, int64_t to_index, const Tensor& from, int64_t from_index) {
    size_t size = dtype_size(to.dtype());
    std::memcpy(static_cast<char*>(to.raw_data()) + to_index * size,
                static_cast<const char*>(from.raw_data()) + from_index * size, size);
}

void zero_element(const Tensor& to, int64_t to_index) {
    size_t size = dtype_size(to.dtype());
    std::memset(static_cast<char*>(to.raw_data()) + to_index * size, 0, size);
}

// Calls body(o, t, i) for every element of a view, in memory order.
template <class Body>
void for_each_element(const AxisView& v, Body&& body) {
    for (int64_t o = 0; o < v.outer; ++o)
        for (int64_t t = 0; t < v.n; ++t)
            for (int64_t i = 0; i < v.inner; ++i) body(o, t, i);
}

}  // namespace

// y[t] = x[t - 1] for t >= 1; y[0] = x[0] or 0.
void shift(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    const Tensor& y = call.outputs[0];
    AxisView v(x.shape(), call.params.axis);
    for_each_element(v, [&](int64_t o, int64_t t, int64_t i) {
        if (t > 0)
            copy_element(y, v.at(o, t, i), x, v.at(o, t - 1, i));
        else if (call.params.replicate_first)
            copy_element(y, v.at(o, 0, i), x, v.at(o, 0, i));
        else
            zero_element(y, v.at(o, 0, i));
    });
}

// dx[t] = g[t + 1] (0 past the end), plus g[0] into dx[0] when y[0] replicated x[0].
void shift_backward(const OpCall& call) {
    const Tensor& g = call.inputs[0];
    AxisView v(g.shape(), call.params.axis);
    with_floating_type(g.dtype(), "shift_backward", [&](auto zero) {
        using T = decltype(zero);
        const T* pg = input_data<T>(call, 0);
        T* pdx = output_data<T>(call, 0);
        for_each_element(v, [&](int64_t o, int64_t t, int64_t i) {
            double total = t + 1 < v.n ? pg[v.at(o, t + 1, i)] : 0.0;
            if (t == 0 && call.params.replicate_first) total += pg[v.at(o, 0, i)];
            pdx[v.at(o, t, i)] = static_cast<T>(total);
        });
    });
}

void slice(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    const Tensor& y = call.outputs[0];
    AxisView in(x.shape(), call.params.axis), out(y.shape(), call.params.axis);
    for_each_element(out, [&](int64_t o, int64_t t, int64_t i) {
        copy_element(y, out.at(o, t, i), x, in.at(o, call.params.begin + t, i));
    });
}

void slice_backward(const OpCall& call) {
    const Tensor& g = call.inputs[0];
    const Tensor& dx = call.outputs[0];
    AxisView in(g.shape(), call.params.axis), out(dx.shape(), call.params.axis);
    for_each_element(out, [&](int64_t o, int64_t t, int64_t i) {
        if (call.params.begin <= t && t < call.params.end)
            copy_element(dx, out.at(o, t, i), g, in.at(o, t - call.params.begin, i));
        else
            zero_element(dx, out.at(o, t, i));
    });
}

void concat(const OpCall& call) {
    const Tensor& y = call.outputs[0];
    AxisView out(y.shape(), call.params.axis);
    int64_t offset = 0;  // where the current part starts along the axis
    for (const Tensor& part : call.inputs) {
        AxisView in(part.shape(), call.params.axis);
        for_each_element(in, [&](int64_t o, int64_t t, int64_t i) {
            copy_element(y, out.at(o, offset + t, i), part, in.at(o, t, i));
        });
        offset += in.n;
    }
}

// y[c0, .., c3] = x at the index whose axis perm[k] is c_k.
void permute(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    const Tensor& y = call.outputs[0];
    int ndim = x.ndim();
    int64_t in_strides[MAX_DIMS];
    int64_t stride = 1;
    for (int k = ndim - 1; k >= 0; --k) {
        in_strides[k] = stride;
        stride *= x.shape()[k];
    }
    for (int64_t flat = 0; flat < y.numel(); ++flat) {
        int64_t rest = flat, from = 0;
        for (int k = ndim - 1; k >= 0; --k) {
            int64_t coordinate = rest % y.shape()[k];
            rest /= y.shape()[k];
            from += coordinate * in_strides[call.params.perm[k]];
        }
        copy_element(y, flat, x, from);
    }
}

}  // namespace induction::reference
