// reduce.cpp (fast CPU) — reductions along one axis, the max gradient and broadcast_to.
//
// Tensors are contiguous; a reduction views x as [outer, n, inner] with n the reduced axis and
// writes [outer, inner]. Two layouts:
//  - inner == 1 (the last axis): each output is a contiguous run of n values, reduced with
//    LANES independent partial results so the loop vectorises; threads split the rows.
//  - inner > 1 (any other axis, e.g. [N, D] -> [D] in every bias gradient): each output is a
//    column; a block of up to BLOCK neighbouring columns is accumulated row by row, a contiguous
//    vectorisable loop; threads split the columns. Every column is summed over n in order by
//    one thread, so the result does not depend on the thread count.
// Sums accumulate in double (for f32 too); max is exact in the element type.
#include <algorithm>

#include "tensor/cpu/kernels.h"
#include "tensor/cpu/parallel.h"
#include "tensor/kernel_args.h"

namespace induction::cpu {

namespace {

constexpr int LANES = 16;           // partial results per contiguous run
constexpr int64_t UNIT = 16;        // columns a thread takes at least: a 64-byte line of f32
constexpr int64_t BLOCK = 256;      // columns accumulated together (a few KB of accumulators)

// Calls body(o, c, width) on column blocks [c, c + width) of each outer slice o. Threads split
// the columns in units of UNIT neighbours, so no two threads share a cache line of a row; a
// block joins up to BLOCK columns of one thread's share.
template <class Body>
void for_column_blocks(const AxisView& v, Body&& body) {
    int64_t units_per_slice = (v.inner + UNIT - 1) / UNIT;
    parallel_for(v.outer * units_per_slice, rows_grain(v.n * UNIT), [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end;) {
            int64_t o = u / units_per_slice, first = u % units_per_slice;
            int64_t units = std::min({BLOCK / UNIT, units_per_slice - first, end - u});
            int64_t c = first * UNIT;
            body(o, c, std::min(units * UNIT, v.inner - c));
            u += units;
        }
    });
}

// Reduces the contiguous run x[0 .. n).
template <class T>
T reduce_run(Op op, const T* x, int64_t n) {
    int64_t k = 0;
    if (op == Op::MAX) {
        T lanes[LANES];
        std::fill(lanes, lanes + LANES, x[0]);
        for (; k + LANES <= n; k += LANES)
            for (int j = 0; j < LANES; ++j) lanes[j] = x[k + j] > lanes[j] ? x[k + j] : lanes[j];
        T best = *std::max_element(lanes, lanes + LANES);
        for (; k < n; ++k) best = x[k] > best ? x[k] : best;
        return best;
    }
    double lanes[LANES] = {};
    for (; k + LANES <= n; k += LANES)
        for (int j = 0; j < LANES; ++j) lanes[j] += x[k + j];
    double total = 0;
    for (; k < n; ++k) total += x[k];
    for (int j = 0; j < LANES; ++j) total += lanes[j];
    return static_cast<T>(op == Op::MEAN ? total / static_cast<double>(n) : total);
}

// Reduces `width` columns: column c is x[k * inner + c] for k < n; writes out[c].
template <class T>
void reduce_columns(Op op, const T* x, int64_t n, int64_t inner, int64_t width, T* out) {
    if (op == Op::MAX) {
        T best[BLOCK];
        std::copy(x, x + width, best);
        for (int64_t k = 1; k < n; ++k) {
            const T* row = x + k * inner;
            for (int64_t c = 0; c < width; ++c) best[c] = row[c] > best[c] ? row[c] : best[c];
        }
        std::copy(best, best + width, out);
        return;
    }
    double total[BLOCK] = {};
    for (int64_t k = 0; k < n; ++k) {
        const T* row = x + k * inner;
        for (int64_t c = 0; c < width; ++c) total[c] += row[c];
    }
    for (int64_t c = 0; c < width; ++c)
        out[c] = static_cast<T>(op == Op::MEAN ? total[c] / static_cast<double>(n) : total[c]);
}

}  // namespace

void reduce(const OpCall& call) {
    with_args<ReduceArgs>(call, [&]<class T>(const ReduceArgs<T>& a) {
        const AxisView& v = a.v;
        if (v.inner == 1) {
            parallel_for(v.outer, rows_grain(v.n), [&](int64_t begin, int64_t end) {
                for (int64_t o = begin; o < end; ++o)
                    a.out[o] = reduce_run(call.op, a.x + o * v.n, v.n);
            });
            return;
        }
        for_column_blocks(v, [&](int64_t o, int64_t c, int64_t width) {
            reduce_columns(call.op, a.x + o * v.n * v.inner + c, v.n, v.inner, width,
                           a.out + o * v.inner + c);
        });
    });
}

// dx is zero except at the first k with x == y in each column, where it is g.
void max_backward(const OpCall& call) {
    with_args<MaxBackwardArgs>(call, [&]<class T>(const MaxBackwardArgs<T>& a) {
        const AxisView& v = a.v;
        for_column_blocks(v, [&](int64_t o, int64_t c, int64_t width) {
            const T* xs = a.x + o * v.n * v.inner + c;
            const T *ys = a.y + o * v.inner + c, *gs = a.g + o * v.inner + c;
            T* dxs = a.dx + o * v.n * v.inner + c;
            int64_t first[BLOCK];  // the first argmax of each column (n if none)
            std::fill(first, first + width, v.n);
            for (int64_t k = v.n - 1; k >= 0; --k)
                for (int64_t i = 0; i < width; ++i)
                    first[i] = xs[k * v.inner + i] == ys[i] ? k : first[i];
            for (int64_t k = 0; k < v.n; ++k)
                for (int64_t i = 0; i < width; ++i)
                    dxs[k * v.inner + i] = first[i] == k ? gs[i] : T(0);
        });
    });
}

// Walks the output as rows of its innermost axis; each row is a copy of an x row or, when x's
// innermost axis is the broadcast one, one repeated value.
void broadcast_to(const OpCall& call) {
    with_args<BroadcastToArgs>(call, [&]<class T>(const BroadcastToArgs<T>& a) {
        const auto& d = a.index.out_dims;
        const auto& s = a.index.a_strides;
        int64_t rows = d[0] * d[1] * d[2];
        parallel_for(rows, rows_grain(d[3]), [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                int64_t i2 = r % d[2], i1 = r / d[2] % d[1], i0 = r / (d[2] * d[1]);
                const T* from = a.x + i0 * s[0] + i1 * s[1] + i2 * s[2];
                T* to = a.out + r * d[3];
                if (s[3] == 0)
                    std::fill(to, to + d[3], from[0]);
                else
                    std::copy(from, from + d[3], to);
            }
        });
    });
}

}  // namespace induction::cpu
