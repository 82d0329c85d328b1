// layout.cpp (fast CPU) — shift, slice, concat and permute as block copies.
//
// Tensors are contiguous. An op along `axis` views its tensors as [outer, n, inner]: within one
// outer slice, every run of whole steps along the axis is one contiguous block, so shift, slice
// and concat are a few memcpy calls per slice, and threads split the slices. Permute merges
// output axes that stay neighbours in the input, then copies rows of the innermost merged axis
// in tiles: for [B, T, H, d] <-> [B, H, T, d] each row is d contiguous elements. Elements are
// moved as bytes (or 4/8-byte words), so every dtype is served; only SHIFT_BACKWARD adds values.
#include <algorithm>
#include <cstring>

#include "tensor/axis_view.h"
#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/dtype_dispatch.h"

namespace induction::cpu {

namespace {

char* bytes(const Tensor& t) { return static_cast<char*>(t.raw_data()); }

// Calls body(o) for every outer slice, split over threads; a slice moves `per_slice` elements.
template <class Body>
void for_slices(int64_t outer, int64_t per_slice, Body&& body) {
    parallel_for(outer, rows_grain(per_slice), [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) body(o);
    });
}

}  // namespace

void shift(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    AxisView v(x.shape(), call.params.axis);
    if (v.n == 0) return;
    size_t step = v.inner * dtype_size(x.dtype());  // bytes of one position along the axis
    const char* px = bytes(x);
    char* py = bytes(call.outputs[0]);
    for_slices(v.outer, v.n * v.inner, [&](int64_t o) {
        const char* from = px + o * v.n * step;
        char* to = py + o * v.n * step;
        if (call.params.replicate_first)
            std::memcpy(to, from, step);
        else
            std::memset(to, 0, step);
        std::memcpy(to + step, from, (v.n - 1) * step);  // y[1 .. n) = x[0 .. n-1)
    });
}

void shift_backward(const OpCall& call) {
    const Tensor& g = call.inputs[0];
    Tensor dx = call.outputs[0];
    AxisView v(g.shape(), call.params.axis);
    if (v.n == 0) return;
    with_floating_type(g.dtype(), "shift_backward", [&](auto zero) {
        using T = decltype(zero);
        const T* pg = g.data<T>();
        T* pdx = dx.data<T>();
        for_slices(v.outer, v.n * v.inner, [&](int64_t o) {
            const T* gs = pg + o * v.n * v.inner;
            T* dxs = pdx + o * v.n * v.inner;
            std::copy(gs + v.inner, gs + v.n * v.inner, dxs);  // dx[0 .. n-1) = g[1 .. n)
            std::fill(dxs + (v.n - 1) * v.inner, dxs + v.n * v.inner, T(0));
            if (call.params.replicate_first)
                for (int64_t i = 0; i < v.inner; ++i) dxs[i] += gs[i];
        });
    });
}

void slice(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    AxisView v(x.shape(), call.params.axis);
    size_t step = v.inner * dtype_size(x.dtype());
    int64_t length = call.params.end - call.params.begin;
    const char* px = bytes(x);
    char* py = bytes(call.outputs[0]);
    for_slices(v.outer, length * v.inner, [&](int64_t o) {
        const char* from = px + (o * v.n + call.params.begin) * step;
        std::memcpy(py + o * length * step, from, length * step);
    });
}

void slice_backward(const OpCall& call) {
    const Tensor& dx = call.outputs[0];
    AxisView v(dx.shape(), call.params.axis);
    size_t step = v.inner * dtype_size(dx.dtype());
    int64_t begin = call.params.begin, length = call.params.end - begin;
    const char* pg = bytes(call.inputs[0]);
    char* pdx = bytes(dx);
    for_slices(v.outer, v.n * v.inner, [&](int64_t o) {
        char* to = pdx + o * v.n * step;
        std::memset(to, 0, begin * step);
        std::memcpy(to + begin * step, pg + o * length * step, length * step);
        std::memset(to + (begin + length) * step, 0, (v.n - begin - length) * step);
    });
}

void concat(const OpCall& call) {
    const Tensor& y = call.outputs[0];
    AxisView v(y.shape(), call.params.axis);
    size_t element = dtype_size(y.dtype());
    char* py = bytes(y);
    for_slices(v.outer, v.n * v.inner, [&](int64_t o) {
        char* to = py + o * v.n * v.inner * element;
        for (const Tensor& part : call.inputs) {
            size_t block = part.shape()[call.params.axis] * v.inner * element;  // one slice of part
            std::memcpy(to, bytes(part) + o * block, block);
            to += block;
        }
    });
}

namespace {

constexpr int64_t TILE = 16;  // output rows copied together (see permute_rows)

// Output axes as (size, stride in x) with size-1 axes dropped, neighbours merged where they are
// neighbours in x too, and size-1 axes (stride 0) put back in front to make exactly four:
// [block, a, b, row]. Axis 3 is what one output row holds; axes 0-2 index the rows.
struct PermutedAxes {
    int64_t size[MAX_DIMS], stride[MAX_DIMS];

    PermutedAxes(const Shape& x_shape, const std::array<int, MAX_DIMS>& perm) {
        int64_t x_strides[MAX_DIMS];
        int64_t s = 1;
        for (int k = x_shape.ndim - 1; k >= 0; --k) {
            x_strides[k] = s;
            s *= x_shape[k];
        }
        int ndim = 0;
        for (int k = 0; k < x_shape.ndim; ++k) {
            int64_t n = x_shape[perm[k]], st = x_strides[perm[k]];
            if (n == 1) continue;
            if (ndim > 0 && stride[ndim - 1] == n * st) {
                size[ndim - 1] *= n;
                stride[ndim - 1] = st;
            } else {
                size[ndim] = n;
                stride[ndim] = st;
                ++ndim;
            }
        }
        int pad = MAX_DIMS - ndim;
        std::copy_backward(size, size + ndim, size + MAX_DIMS);
        std::copy_backward(stride, stride + ndim, stride + MAX_DIMS);
        std::fill(size, size + pad, 1);
        std::fill(stride, stride + pad, 0);
    }
};

// Copies the output rows in tiles of up to TILE consecutive rows along axis b, with axis a
// outside the tile. Contiguous rows are block copies; when the head split swaps a and b
// ([B, T, H, d] <-> [B, H, T, d]) the tile keeps the reads in a few sequential streams instead
// of jumping a whole row of x per row. Rows strided in x (the innermost axis moved, as in a
// transpose) are copied element j of every tile row at a time, reading TILE neighbours of x.
// Threads split the (block, tile) pairs.
template <class Word>
void permute_rows(const PermutedAxes& axes, const Word* x, Word* y) {
    const int64_t* n = axes.size;
    const int64_t* st = axes.stride;
    int64_t length = n[3], tiles = (n[2] + TILE - 1) / TILE;
    parallel_for(n[0] * tiles, rows_grain(n[1] * TILE * length), [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            int64_t i0 = item / tiles, b_begin = item % tiles * TILE;
            int64_t rows = std::min(TILE, n[2] - b_begin);
            for (int64_t i1 = 0; i1 < n[1]; ++i1) {
                const Word* from = x + i0 * st[0] + i1 * st[1] + b_begin * st[2];
                Word* to = y + ((i0 * n[1] + i1) * n[2] + b_begin) * length;
                if (st[3] == 1)
                    for (int64_t r = 0; r < rows; ++r)
                        std::copy(from + r * st[2], from + r * st[2] + length, to + r * length);
                else
                    for (int64_t j = 0; j < length; ++j)
                        for (int64_t r = 0; r < rows; ++r)
                            to[r * length + j] = from[r * st[2] + j * st[3]];
            }
        }
    });
}

}  // namespace

void permute(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    const Tensor& y = call.outputs[0];
    if (x.numel() == 0) return;
    PermutedAxes axes(x.shape(), call.params.perm);
    auto copy_as = [&](auto word) {  // f32 and i32 as 4-byte words, f64 as 8-byte ones
        using Word = decltype(word);
        permute_rows(axes, static_cast<const Word*>(x.raw_data()),
                     static_cast<Word*>(y.raw_data()));
    };
    if (dtype_size(x.dtype()) == 4)
        copy_as(uint32_t{});
    else
        copy_as(uint64_t{});
}

}  // namespace induction::cpu
