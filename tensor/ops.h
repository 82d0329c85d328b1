// ops.h — the tensor operations, as plain functions on Tensors (no gradients: see autograd/).
//
// Each function validates its arguments (throwing induction::Error naming the op, the shapes and
// what was expected), allocates its outputs and dispatches one OpCall (tensor/op.h). Floating
// ops accept f32 and f64; all inputs of one call share dtype and device. Shapes in comments use
// "..." for any leading dimensions.
#pragma once

#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace induction {

// ---- elementwise (tensor/elementwise.cpp) -------------------------------------------------------
// Binary ops broadcast NumPy-style: shapes align at the innermost axis; a size-1 or missing axis
// repeats.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact: x * Φ(x), with the Gaussian CDF via erf
Tensor sigmoid(const Tensor& x);
Tensor scale(const Tensor& x, double alpha, double beta = 0);  // alpha * x + beta
// dx = g * f'(x) for a unary op f; y = f(x) is passed too since some derivatives use it.
Tensor unary_backward(Op forward_op, const Tensor& x, const Tensor& y, const Tensor& g);
// cond: i32, nonzero selects a. All three the same shape.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- reductions (tensor/reduce.cpp) -------------------------------------------------------------
Tensor sum(const Tensor& x, int axis, bool keepdim = false);
Tensor mean(const Tensor& x, int axis, bool keepdim = false);
Tensor max(const Tensor& x, int axis, bool keepdim = false);
// g and y have x's shape with `axis` kept at size 1; returns dx with g at the first argmax.
Tensor max_backward(const Tensor& x, const Tensor& y, const Tensor& g, int axis);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// Sums a broadcast result's gradient back to the shape of the operand that was broadcast.
Tensor sum_to_shape(const Tensor& g, const Shape& shape);

// ---- matmul (tensor/matmul.cpp) -----------------------------------------------------------------
// a: [M, K] (or [K, M] with transpose_a), b: [K, N] (or [N, K]); also batched: a and b both 3-D
// with the same batch size, or a 3-D and b 2-D (b shared across the batch). Result [.., M, N].
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false,
              MatmulMasks masks = {});

// ---- softmax and loss (tensor/softmax.cpp) ------------------------------------------------------
// Softmax over the last axis. causal: in each [T, T] block row i sees columns j <= i.
// head_windows (size H, x: [B, H, T, T]): head h sees 0 <= i - j < w_h, 0 meaning no limit.
// Masked entries are exactly 0 in the result; a row with nothing allowed is an error.
Tensor softmax(const Tensor& x, bool causal = false, const std::vector<int32_t>& head_windows = {});
Tensor softmax_backward(const Tensor& y, const Tensor& g);  // dx = y * (g - sum(g * y))
// logits: [N, V], targets: i32 [N] → per-token losses [N] = -log softmax(logits)[target].
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index = -1);
// g: [N] → dlogits [N, V] = g * (softmax(logits) - onehot(target)). losses: the forward's result,
// from which a kernel may recover log-sum-exp = loss + logits[target] instead of re-summing a row.
Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& losses,
                              const Tensor& g, int32_t ignore_index = -1);

// ---- layer norm (tensor/layer_norm.cpp) ---------------------------------------------------------
struct LayerNormResult {
    Tensor y;     // [..., D]
    Tensor mean;  // [rows] with rows = numel / D
    Tensor rstd;  // [rows], 1 / sqrt(var + eps), biased variance
};
LayerNormResult layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps = 1e-5);
struct LayerNormGrads {
    Tensor dx, dgamma, dbeta;
};
LayerNormGrads layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& g);

// ---- embedding (tensor/embedding.cpp) -----------------------------------------------------------
// table: [V, D], ids: i32 [...] → [..., D]. Ids outside [0, V) are an error.
Tensor embedding(const Tensor& table, const Tensor& ids);
// g: [..., D] → dtable [V, D], rows scatter-added.
Tensor embedding_backward(const Tensor& ids, const Tensor& g, int64_t vocab_size);

// ---- layout (tensor/layout.cpp) -----------------------------------------------------------------
// y[.., t, ..] = x[.., t-1, ..] along axis for t >= 1; y[0] = x[0] (replicate_first) or 0.
Tensor shift(const Tensor& x, int axis, bool replicate_first = true);
Tensor shift_backward(const Tensor& g, int axis, bool replicate_first = true);
Tensor slice(const Tensor& x, int axis, int64_t begin, int64_t end);
// Places g into zeros of `shape` at [begin, begin + g.size(axis)) along axis.
Tensor slice_backward(const Tensor& g, const Shape& shape, int axis, int64_t begin);
Tensor concat(const std::vector<Tensor>& parts, int axis);
// Output axis i is input axis perm[i].
Tensor permute(const Tensor& x, const std::vector<int>& perm);

// ---- optimizer (tensor/optimizer.cpp) -------------------------------------------------------------
// f64 [] = sqrt(Σ x²) over every element of every tensor (floating, one device), summed in double.
Tensor global_norm(const std::vector<Tensor>& tensors);
struct AdamWUpdate {
    Tensor param, m, v;  // the updated parameter and moments (fresh tensors)
};
// One AdamW step (tensor/op.h AdamWStep) of param with gradient grad and moments m, v (all one
// shape and dtype); grad_norm: f64 [], the global gradient norm used for clipping.
AdamWUpdate adamw_update(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v,
                         const Tensor& grad_norm, const AdamWStep& step);

}  // namespace induction
