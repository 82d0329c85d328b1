// kernel_args.h — the arguments of each kernel family, unpacked from a validated OpCall once for
// every backend.
//
// Every kernel of every backend would otherwise begin the same way: pick the element type from a
// dtype, take typed pointers to its tensors, read the sizes off their shapes. The structs below
// do that once per family, so that a kernel is only its loops:
//
//     void softmax_backward(const OpCall& call) {
//         with_args<SoftmaxBackwardArgs>(call, [&]<class T>(const SoftmaxBackwardArgs<T>& a) {
//             for (int64_t r = 0; r < a.rows; ++r) ... a.y[r * a.n + j] ...
//         });
//     }
//
// with_args picks T (float or double) from the call's first output, which has the element type
// of every floating tensor of these families, and builds Args<T> from the call. Shapes are those
// the family functions validated (tensor/ops.h); tensors are contiguous, so the pointers index
// flat memory. A struct copies the parameters its family reads; the op that selects a formula
// (call.op, params.forward_op) and SCALE's constants stay on the call. The layout family moves
// bytes and needs no element type: its kernels use AxisView (tensor/axis_view.h) directly.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "tensor/axis_view.h"
#include "tensor/broadcast.h"
#include "tensor/dtype_dispatch.h"
#include "tensor/op.h"

namespace induction {

// Typed pointers to a call's tensors (data<T>() checks the dtype). Outputs are written through a
// handle: the call holds them as const Tensors.
template <class T>
const T* input_data(const OpCall& call, size_t k) {
    return call.inputs[k].data<T>();
}
template <class T>
T* output_data(const OpCall& call, size_t k) {
    return Tensor(call.outputs[k]).data<T>();
}

// Ids and targets are not checked on the host before a call (that would copy them there on every
// call; they are checked where they enter: token files, evaluation rows). A kernel meeting one
// outside [0, size) reads nothing with it: it writes NaN (an embedding row, a loss, a gradient
// row) or, scattering a gradient, drops it, so the error surfaces as a non-finite loss.
inline bool id_in_range(int32_t id, int64_t size) { return id >= 0 && id < size; }

// Calls body(Args<T>(call)) with T the element type of the call's first output.
template <template <class> class Args, class Body>
void with_args(const OpCall& call, Body&& body) {
    with_floating_type(call.outputs[0].dtype(), op_name(call.op), [&](auto zero) {
        body(Args<decltype(zero)>(call));
    });
}

// ---- elementwise ----------------------------------------------------------------------------

// ADD SUB MUL DIV: out = a op b, a and b broadcast NumPy-style to out's shape.
template <class T>
struct BinaryArgs {
    const T *a, *b;
    T* out;
    int64_t n;  // elements of out
    Shape a_shape, b_shape, out_shape;

    explicit BinaryArgs(const OpCall& call)
        : a(input_data<T>(call, 0)), b(input_data<T>(call, 1)), out(output_data<T>(call, 0)),
          n(call.outputs[0].numel()), a_shape(call.inputs[0].shape()),
          b_shape(call.inputs[1].shape()), out_shape(call.outputs[0].shape()) {}
};

// The unary ops (call.op): y = f(x), n elements.
template <class T>
struct UnaryArgs {
    const T* x;
    T* y;
    int64_t n;

    explicit UnaryArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), y(output_data<T>(call, 0)), n(call.inputs[0].numel()) {}
};

// UNARY_BACKWARD: dx = g * f'(x) for f = params.forward_op, given y = f(x); n elements each.
template <class T>
struct UnaryBackwardArgs {
    const T *x, *y, *g;
    T* dx;
    int64_t n;

    explicit UnaryBackwardArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), y(input_data<T>(call, 1)), g(input_data<T>(call, 2)),
          dx(output_data<T>(call, 0)), n(call.inputs[0].numel()) {}
};

// WHERE: out = cond ? a : b, n elements each (cond is i32).
template <class T>
struct WhereArgs {
    const int32_t* cond;
    const T *a, *b;
    T* out;
    int64_t n;

    explicit WhereArgs(const OpCall& call)
        : cond(input_data<int32_t>(call, 0)), a(input_data<T>(call, 1)), b(input_data<T>(call, 2)),
          out(output_data<T>(call, 0)), n(call.outputs[0].numel()) {}
};

// ---- reductions -----------------------------------------------------------------------------

// SUM MEAN MAX (call.op) along params.axis: x seen as [outer, n, inner], out as [outer, inner]
// (keepdim or not).
template <class T>
struct ReduceArgs {
    const T* x;
    T* out;
    AxisView v;  // x around the reduced axis

    explicit ReduceArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), out(output_data<T>(call, 0)),
          v(call.inputs[0].shape(), call.params.axis) {}
};

// MAX_BACKWARD: x and dx [outer, n, inner], the max y and its gradient g [outer, inner].
template <class T>
struct MaxBackwardArgs {
    const T *x, *y, *g;
    T* dx;
    AxisView v;  // x around the reduced axis

    explicit MaxBackwardArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), y(input_data<T>(call, 1)), g(input_data<T>(call, 2)),
          dx(output_data<T>(call, 0)), v(call.inputs[0].shape(), call.params.axis) {}
};

// BROADCAST_TO: out = x repeated along its size-1 (or missing leading) axes.
template <class T>
struct BroadcastToArgs {
    const T* x;
    T* out;
    int64_t n;             // elements of out
    BroadcastIndex index;  // out's dims and x's strides (a_strides), padded to four axes

    explicit BroadcastToArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), out(output_data<T>(call, 0)), n(call.outputs[0].numel()),
          index(call.outputs[0].shape(), call.inputs[0].shape(), call.inputs[0].shape()) {}
};

// ---- matmul ---------------------------------------------------------------------------------

// MATMUL: c[i] = op(a[i]) op(b[i]) for each of `batch` matrices, op(a) [M, K], op(b) [K, N],
// c [M, N]; a stored [M, K] ([K, M] when transpose_a), b [K, N] ([N, K] when transpose_b). A 2-D
// b is shared by every batch matrix (b_stride 0).
template <class T>
struct MatmulArgs {
    const T *a, *b;
    T* c;
    int64_t batch, M, N, K;
    int64_t lda, ldb;                      // row strides of the stored a and b (c's is N)
    int64_t a_stride, b_stride, c_stride;  // elements between consecutive batch matrices
    bool transpose_a, transpose_b;
    MatmulMasks masks;

    explicit MatmulArgs(const OpCall& call)
        : a(input_data<T>(call, 0)), b(input_data<T>(call, 1)), c(output_data<T>(call, 0)),
          transpose_a(call.params.transpose_a), transpose_b(call.params.transpose_b),
          masks(call.params.masks) {
        const Shape &a_shape = call.inputs[0].shape(), &c_shape = call.outputs[0].shape();
        M = c_shape.back(2);
        N = c_shape.back(1);
        K = transpose_a ? a_shape.back(2) : a_shape.back(1);
        batch = c_shape.numel() / std::max<int64_t>(M * N, 1);
        lda = a_shape.back(1);
        ldb = call.inputs[1].shape().back(1);
        a_stride = M * K;
        b_stride = call.inputs[1].ndim() == 2 ? 0 : K * N;
        c_stride = M * N;
    }

    // Batch matrix i of each operand.
    const T* a_matrix(int64_t i) const { return a + i * a_stride; }
    const T* b_matrix(int64_t i) const { return b + i * b_stride; }
    T* c_matrix(int64_t i) const { return c + i * c_stride; }
};

// ---- softmax and cross-entropy --------------------------------------------------------------

// SOFTMAX over the last axis: x and y [rows, n]. With a mask x is [..., n, n] and row r is query
// position r % n; with head windows x is [B, H, n, n] and row r belongs to head (r / n) % H.
template <class T>
struct SoftmaxArgs {
    const T* x;
    T* y;
    int64_t n, rows;
    bool causal;
    std::span<const int32_t> head_windows;  // per head: w > 0 allows 0 <= i - j < w; 0 = dense

    explicit SoftmaxArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), y(output_data<T>(call, 0)), n(call.inputs[0].size(-1)),
          rows(call.inputs[0].numel() / n), causal(call.params.causal),
          head_windows(call.params.head_windows) {}

    int64_t query(int64_t r) const { return r % n; }  // row r's query position when masked
    int64_t window(int64_t r) const {                 // row r's window (0: none)
        int64_t heads = int64_t(head_windows.size());
        return heads ? head_windows[(r / n) % heads] : 0;
    }
};

// SOFTMAX_BACKWARD: dx = y * (g - sum(g * y)) per row; y, g and dx [rows, n].
template <class T>
struct SoftmaxBackwardArgs {
    const T *y, *g;
    T* dx;
    int64_t n, rows;

    explicit SoftmaxBackwardArgs(const OpCall& call)
        : y(input_data<T>(call, 0)), g(input_data<T>(call, 1)), dx(output_data<T>(call, 0)),
          n(call.inputs[0].size(-1)), rows(call.inputs[0].numel() / n) {}
};

// CROSS_ENTROPY: losses[r] = -log softmax(logits[r])[targets[r]], 0 where the target is
// ignore_index; logits [rows, vocab], targets (i32) and losses [rows].
template <class T>
struct CrossEntropyArgs {
    const T* logits;
    const int32_t* targets;
    T* losses;
    int64_t rows, vocab;
    int32_t ignore_index;

    explicit CrossEntropyArgs(const OpCall& call)
        : logits(input_data<T>(call, 0)), targets(input_data<int32_t>(call, 1)),
          losses(output_data<T>(call, 0)), rows(call.inputs[0].size(0)),
          vocab(call.inputs[0].size(1)), ignore_index(call.params.ignore_index) {}
};

// CROSS_ENTROPY_BACKWARD: dlogits [rows, vocab] from the logits, targets, the forward's losses and
// their gradient g [rows]; rows whose target is ignore_index get zeros.
template <class T>
struct CrossEntropyBackwardArgs {
    const T* logits;
    const int32_t* targets;
    const T *losses, *g;
    T* dlogits;
    int64_t rows, vocab;
    int32_t ignore_index;

    explicit CrossEntropyBackwardArgs(const OpCall& call)
        : logits(input_data<T>(call, 0)), targets(input_data<int32_t>(call, 1)),
          losses(input_data<T>(call, 2)), g(input_data<T>(call, 3)),
          dlogits(output_data<T>(call, 0)), rows(call.inputs[0].size(0)),
          vocab(call.inputs[0].size(1)), ignore_index(call.params.ignore_index) {}
};

// ---- layer norm -----------------------------------------------------------------------------

// LAYER_NORM over the last axis: x and y [rows, d], gamma and beta [d], mean and rstd [rows].
template <class T>
struct LayerNormArgs {
    const T *x, *gamma, *beta;
    T *y, *mean, *rstd;
    int64_t d, rows;
    double eps;

    explicit LayerNormArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), gamma(input_data<T>(call, 1)),
          beta(input_data<T>(call, 2)), y(output_data<T>(call, 0)),
          mean(output_data<T>(call, 1)), rstd(output_data<T>(call, 2)),
          d(call.inputs[0].size(-1)), rows(call.inputs[0].numel() / d), eps(call.params.eps) {}
};

// LAYER_NORM_BACKWARD: dx [rows, d], dgamma and dbeta [d] from x, gamma, the forward's mean and
// rstd, and the output gradient g [rows, d].
template <class T>
struct LayerNormBackwardArgs {
    const T *x, *gamma, *mean, *rstd, *g;
    T *dx, *dgamma, *dbeta;
    int64_t d, rows;

    explicit LayerNormBackwardArgs(const OpCall& call)
        : x(input_data<T>(call, 0)), gamma(input_data<T>(call, 1)),
          mean(input_data<T>(call, 2)), rstd(input_data<T>(call, 3)), g(input_data<T>(call, 4)),
          dx(output_data<T>(call, 0)), dgamma(output_data<T>(call, 1)),
          dbeta(output_data<T>(call, 2)), d(call.inputs[0].size(-1)),
          rows(call.inputs[0].numel() / d) {}
};

// ---- embedding ------------------------------------------------------------------------------

// EMBEDDING: out[i] = table[ids[i]]; table [vocab, d], ids (i32) flattened to [n_ids], out
// [n_ids, d].
template <class T>
struct EmbeddingArgs {
    const T* table;
    const int32_t* ids;
    T* out;
    int64_t n_ids, vocab, d;

    explicit EmbeddingArgs(const OpCall& call)
        : table(input_data<T>(call, 0)), ids(input_data<int32_t>(call, 1)),
          out(output_data<T>(call, 0)), n_ids(call.inputs[1].numel()),
          vocab(call.inputs[0].size(0)), d(call.inputs[0].size(1)) {}
};

// EMBEDDING_BACKWARD: dtable [vocab, d] = the rows of g [n_ids, d] added up by id.
template <class T>
struct EmbeddingBackwardArgs {
    const int32_t* ids;
    const T* g;
    T* dtable;
    int64_t n_ids, vocab, d;

    explicit EmbeddingBackwardArgs(const OpCall& call)
        : ids(input_data<int32_t>(call, 0)), g(input_data<T>(call, 1)),
          dtable(output_data<T>(call, 0)), n_ids(call.inputs[0].numel()),
          vocab(call.outputs[0].size(0)), d(call.outputs[0].size(1)) {}
};

}  // namespace induction
