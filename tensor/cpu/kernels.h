// kernels.h — the cpu backend's kernel families, one function per entry of its dispatch switch.
// Fast CPU kernels: OpenMP across cores and SIMD-friendly inner loops, f32 and f64.
// Each is tested against its reference twin in tensor/reference/.
//
// All kernels take a validated OpCall (see tensor/ops.h for shapes) and write its preallocated
// outputs. Tensors are contiguous (tensor/tensor.h), so kernels index flat memory.
#pragma once

#include "tensor/op.h"

namespace induction::cpu {

// tensor/cpu/elementwise.cpp
void binary(const OpCall& call);  // ADD SUB MUL DIV with broadcasting
void unary(const OpCall& call);   // NEG EXP LOG SQRT RELU GELU SIGMOID SCALE
void unary_backward(const OpCall& call);
void where(const OpCall& call);
// tensor/cpu/reduce.cpp
void reduce(const OpCall& call);  // SUM MEAN MAX
void max_backward(const OpCall& call);
void broadcast_to(const OpCall& call);
// tensor/cpu/matmul.cpp
void matmul(const OpCall& call);
// tensor/cpu/softmax.cpp
void softmax(const OpCall& call);
void softmax_backward(const OpCall& call);
void cross_entropy(const OpCall& call);
void cross_entropy_backward(const OpCall& call);
// tensor/cpu/layer_norm.cpp
void layer_norm(const OpCall& call);
void layer_norm_backward(const OpCall& call);
// tensor/cpu/embedding.cpp
void embedding(const OpCall& call);
void embedding_backward(const OpCall& call);
// tensor/cpu/layout.cpp
void shift(const OpCall& call);
void shift_backward(const OpCall& call);
void slice(const OpCall& call);
void slice_backward(const OpCall& call);
void concat(const OpCall& call);
void permute(const OpCall& call);

}  // namespace induction::cpu
