// kernel_families.h — the kernel families every backend defines, and how they cover the op table.
//
// A backend (tensor/reference/, tensor/cpu/, later tensor/cuda/) writes one function per family,
// `void family(const OpCall&)`, in its own namespace, in the file named below. Its kernels.h
// declares them all with one line, and its backend.cpp builds its Backend with another:
//     INDUCTION_KERNEL_FAMILIES(INDUCTION_DECLARE_KERNEL)
//     kernel_table({INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_ADDRESS)})
// kernel_table() (tensor/backend.cpp) is the one place that says which ops a family runs.
// A backend without some family builds its KernelFamilies by hand and leaves that field null.
#pragma once

#include "tensor/backend.h"

#define INDUCTION_KERNEL_FAMILIES(X)                                                        \
    /* elementwise.cpp */ X(binary) X(unary) X(unary_backward) X(where)                     \
    /* reduce.cpp      */ X(reduce) X(max_backward) X(broadcast_to)                         \
    /* matmul.cpp      */ X(matmul)                                                         \
    /* softmax.cpp     */ X(softmax) X(softmax_backward) X(cross_entropy) X(cross_entropy_backward) \
    /* layer_norm.cpp  */ X(layer_norm) X(layer_norm_backward)                              \
    /* embedding.cpp   */ X(embedding) X(embedding_backward)                                \
    /* layout.cpp      */ X(shift) X(shift_backward) X(slice) X(slice_backward) X(concat) X(permute) \
    /* optimizer.cpp   */ X(global_norm) X(adamw)

#define INDUCTION_DECLARE_KERNEL(family) void family(const OpCall& call);
#define INDUCTION_KERNEL_FIELD(family) Kernel family = nullptr;
#define INDUCTION_KERNEL_ADDRESS(family) family,

namespace induction {

struct KernelFamilies {
    INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_FIELD)
};

// binary → ADD SUB MUL DIV; unary → NEG EXP LOG SQRT RELU GELU SIGMOID SCALE; reduce → SUM MEAN
// MAX; every other family → the op of its name.
KernelTable kernel_table(const KernelFamilies& families);

}  // namespace induction
