// op.h — the one op table: every kernel-level operation of the tensor library.
//
// Each Op has a row in the name table (op.cpp) and a kernel in each backend of the backend table
// (tensor/backend.h): the reference backend (tensor/reference/) and the fast ones (tensor/cpu/,
// later tensor/cuda/). The parity harness (tests/tensor/test_parity.cpp) runs its cases for every
// op on every backend and fails if any op lacks a kernel or a case there; the coverage test also
// wants an f64 gradient check for every differentiable op. Backward ops (…_BACKWARD) are the
// kernels behind the gradients of their forward ops.
//
// To add an op: add the enum value, its OpInfo row in op.cpp, the validating function in a family
// file (tensor/<family>.cpp, declared in tensor/ops.h), a kernel in every backend (its family in
// tensor/kernel_families.h), parity cases and its autograd rule; then run `make test` and let the
// coverage tests tell you what is still missing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"
#include "tensor/triangle.h"

namespace induction {

enum class Op {
    // elementwise binary, with NumPy-style broadcasting (tensor/elementwise.cpp)
    ADD, SUB, MUL, DIV,
    // elementwise unary (tensor/elementwise.cpp)
    NEG, EXP, LOG, SQRT, RELU, GELU, SIGMOID,
    SCALE,           // y = alpha * x + beta
    UNARY_BACKWARD,  // dx = g * f'(x) for the unary op named by params.forward_op
    WHERE,           // y = cond ? a : b
    // reductions along one axis (tensor/reduce.cpp)
    SUM, MEAN, MAX,
    MAX_BACKWARD,  // routes g to the first position that attained the max
    BROADCAST_TO,  // repeats size-1 (or missing leading) axes up to a shape
    // linear algebra (tensor/matmul.cpp)
    MATMUL,  // [.., M, K] x [.., K, N] with transpose flags
    // attention and loss (tensor/softmax.cpp)
    SOFTMAX,  // last axis, optional causal mask and per-head local windows
    SOFTMAX_BACKWARD,
    CROSS_ENTROPY,  // fused log-softmax + negative log-likelihood, per-token losses
    CROSS_ENTROPY_BACKWARD,
    // normalisation (tensor/layer_norm.cpp)
    LAYER_NORM,
    LAYER_NORM_BACKWARD,
    // lookup (tensor/embedding.cpp)
    EMBEDDING,
    EMBEDDING_BACKWARD,  // scatter-add into the table
    // layout (tensor/layout.cpp)
    SHIFT,  // by one position along an axis (smeared keys)
    SHIFT_BACKWARD,
    SLICE,  // [begin, end) along any axis
    SLICE_BACKWARD,
    CONCAT,
    PERMUTE,
    // the optimizer step (tensor/optimizer.cpp): the training step stays inside the op table
    GLOBAL_NORM,  // f64 [] = sqrt(sum of squares of every input), e.g. of all gradients
    ADAMW,        // one AdamW update of a parameter and its moments, with gradient clipping
    OP_COUNT
};

struct OpInfo {
    const char* name;    // lower-case, as used in error messages: "softmax"
    bool differentiable; // forward ops with a gradient; backward kernels are not
};

const OpInfo& op_info(Op op);
inline const char* op_name(Op op) { return op_info(op).name; }

// One AdamW update (train/adamw.h has the formulas). The gradient is first scaled by
// max_grad_norm / (grad_norm + 1e-6) when the global norm exceeds max_grad_norm; a non-finite
// norm leaves parameter and moments unchanged.
struct AdamWStep {
    double learning_rate = 1e-3, beta1 = 0.9, beta2 = 0.99, eps = 1e-8;
    double weight_decay = 0;   // decoupled: θ ← (1 − η λ) θ − ...
    int64_t step = 1;          // 1-based, for the bias corrections 1 − β^step
    double max_grad_norm = 1.0 / 0.0;  // no clipping by default
};

// Parameters of an op call. Each op reads only the fields listed for it.
struct OpParams {
    bool transpose_a = false, transpose_b = false;  // MATMUL
    MatmulMasks masks;                               // MATMUL: triangular masks (tensor/triangle.h)
    int axis = -1;          // SUM MEAN MAX MAX_BACKWARD SHIFT* SLICE* CONCAT
    bool keepdim = false;   // SUM MEAN MAX
    int64_t begin = 0, end = 0;  // SLICE, SLICE_BACKWARD: [begin, end) along axis
    bool causal = false;    // SOFTMAX: position j > i masked in row i of each [T, T] block
    std::vector<int32_t> head_windows;  // SOFTMAX: per head (axis 1 of [B, H, T, T]);
                                        // w > 0 allows 0 <= i - j < w; 0 = dense
    double alpha = 1, beta = 0;  // SCALE
    double eps = 1e-5;           // LAYER_NORM
    Op forward_op = Op::OP_COUNT;  // UNARY_BACKWARD: which unary op to differentiate
    std::array<int, MAX_DIMS> perm{0, 1, 2, 3};  // PERMUTE: output axis i = input axis perm[i]
    int32_t ignore_index = -1;     // CROSS_ENTROPY*: targets equal to it give loss 0, no gradient
    bool replicate_first = true;   // SHIFT*: y[0] = x[0] (true) or 0 (false)
    AdamWStep adamw;               // ADAMW
};

// One invocation: inputs, preallocated outputs of the right shape/dtype/device, parameters.
struct OpCall {
    Op op;
    std::vector<Tensor> inputs;
    std::vector<Tensor> outputs;
    OpParams params;
};

}  // namespace induction
