// kernels.h — the reference backend's kernel families, one function per entry of its dispatch switch.
// Reference kernels: plain loops, obviously right, f32 and f64 (accumulating in double). Every
// fast kernel is tested against these.
//
// All kernels take a validated OpCall (see tensor/ops.h for shapes) and write its preallocated
// outputs. Tensors are contiguous (tensor/tensor.h), so kernels index flat memory.
#pragma once

#include "tensor/op.h"

namespace induction::reference {

// tensor/reference/elementwise.cpp
void binary(const OpCall& call);  // ADD SUB MUL DIV with broadcasting
void unary(const OpCall& call);   // NEG EXP LOG SQRT RELU GELU SIGMOID SCALE
void unary_backward(const OpCall& call);
void where(const OpCall& call);
// tensor/reference/reduce.cpp
void reduce(const OpCall& call);  // SUM MEAN MAX
void max_backward(const OpCall& call);
void broadcast_to(const OpCall& call);
// tensor/reference/matmul.cpp
void matmul(const OpCall& call);
// tensor/reference/softmax.cpp
void softmax(const OpCall& call);
void softmax_backward(const OpCall& call);
void cross_entropy(const OpCall& call);
void cross_entropy_backward(const OpCall& call);
// tensor/reference/layer_norm.cpp
void layer_norm(const OpCall& call);
void layer_norm_backward(const OpCall& call);
// tensor/reference/embedding.cpp
void embedding(const OpCall& call);
void embedding_backward(const OpCall& call);
// tensor/reference/layout.cpp
void shift(const OpCall& call);
void shift_backward(const OpCall& call);
void slice(const OpCall& call);
void slice_backward(const OpCall& call);
void concat(const OpCall& call);
void permute(const OpCall& call);

}  // namespace induction::reference
