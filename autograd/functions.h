// functions.h — the differentiable ops: the tensor ops of tensor/ops.h lifted to Vars.
//
// Each function computes its forward value with the tensor op and records a backward rule that
// sits directly below it in its family file (autograd/<family>.cpp, mirroring tensor/). Shapes
// and errors are those of the tensor op of the same name.
#pragma once

#include <vector>

#include "autograd/var.h"
#include "tensor/ops.h"

namespace induction {

// ---- elementwise (autograd/elementwise.cpp)
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var neg(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var sqrt(const Var& x);
Var relu(const Var& x);
Var gelu(const Var& x);
Var sigmoid(const Var& x);
Var scale(const Var& x, double alpha, double beta = 0);
Var where(const Tensor& cond, const Var& a, const Var& b);

// ---- reductions (autograd/reduce.cpp)
Var sum(const Var& x, int axis, bool keepdim = false);
Var mean(const Var& x, int axis, bool keepdim = false);
Var max(const Var& x, int axis, bool keepdim = false);
Var broadcast_to(const Var& x, const Shape& shape);

// ---- matmul (autograd/matmul.cpp)
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false,
           MatmulMasks masks = {});

// ---- softmax and loss (autograd/softmax.cpp)
Var softmax(const Var& x, bool causal = false, const std::vector<int32_t>& head_windows = {});
Var cross_entropy(const Var& logits, const Tensor& targets, int32_t ignore_index = -1);

// ---- layer norm (autograd/layer_norm.cpp)
Var layer_norm(const Var& x, const Var& gamma, const Var& beta, double eps = 1e-5);

// ---- embedding (autograd/embedding.cpp)
Var embedding(const Var& table, const Tensor& ids);

// ---- layout (autograd/layout.cpp)
Var reshape(const Var& x, const Shape& shape);  // a free view; its gradient is reshaped back
Var shift(const Var& x, int axis, bool replicate_first = true);
Var slice(const Var& x, int axis, int64_t begin, int64_t end);
Var concat(const std::vector<Var>& parts, int axis);
Var permute(const Var& x, const std::vector<int>& perm);

}  // namespace induction
