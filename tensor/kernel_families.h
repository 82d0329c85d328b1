// kernel_families.h — the kernel families every backend defines, and how they cover the op table.
//
// A backend (tensor/reference/, tensor/cpu/, later tensor/cuda/) writes one function per family,
// `void family(const OpCall&)`, in its own namespace, in the file named below. Its kernels.h
// declares them all with one line, and its backend.cpp defines its Backend with another:
//     INDUCTION_KERNEL_FAMILIES(INDUCTION_DECLARE_KERNEL)
//     constinit const Backend BACKEND{"cpu", Device::CPU, false, INDUCTION_BACKEND_KERNELS};
// and tensor/backend.cpp registers it.
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
#define INDUCTION_BACKEND_KERNELS kernel_table({INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_ADDRESS)})

namespace induction {

struct KernelFamilies {
    INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_FIELD)
};

// binary → ADD SUB MUL DIV; unary → NEG EXP LOG SQRT RELU GELU SIGMOID SCALE; reduce → SUM MEAN
// MAX; every other family → the op of its name. constexpr, so a backend's table is built at
// compile time and exists before any code runs.
constexpr KernelTable kernel_table(const KernelFamilies& f) {
    KernelTable t{};
    auto set = [&](Kernel kernel, std::initializer_list<Op> ops) {
        for (Op op : ops) t[static_cast<size_t>(op)] = kernel;
    };
    set(f.binary, {Op::ADD, Op::SUB, Op::MUL, Op::DIV});
    set(f.unary, {Op::NEG, Op::EXP, Op::LOG, Op::SQRT, Op::RELU, Op::GELU, Op::SIGMOID, Op::SCALE});
    set(f.unary_backward, {Op::UNARY_BACKWARD});
    set(f.where, {Op::WHERE});
    set(f.reduce, {Op::SUM, Op::MEAN, Op::MAX});
    set(f.max_backward, {Op::MAX_BACKWARD});
    set(f.broadcast_to, {Op::BROADCAST_TO});
    set(f.matmul, {Op::MATMUL});
    set(f.softmax, {Op::SOFTMAX});
    set(f.softmax_backward, {Op::SOFTMAX_BACKWARD});
    set(f.cross_entropy, {Op::CROSS_ENTROPY});
    set(f.cross_entropy_backward, {Op::CROSS_ENTROPY_BACKWARD});
    set(f.layer_norm, {Op::LAYER_NORM});
    set(f.layer_norm_backward, {Op::LAYER_NORM_BACKWARD});
    set(f.embedding, {Op::EMBEDDING});
    set(f.embedding_backward, {Op::EMBEDDING_BACKWARD});
    set(f.shift, {Op::SHIFT});
    set(f.shift_backward, {Op::SHIFT_BACKWARD});
    set(f.slice, {Op::SLICE});
    set(f.slice_backward, {Op::SLICE_BACKWARD});
    set(f.concat, {Op::CONCAT});
    set(f.permute, {Op::PERMUTE});
    set(f.global_norm, {Op::GLOBAL_NORM});
    set(f.adamw, {Op::ADAMW});
    return t;
}


}  // namespace induction
