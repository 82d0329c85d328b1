// op.cpp — the op name table.
#include "tensor/op.h"

namespace induction {

namespace {

constexpr OpInfo OP_TABLE[] = {
    {"add", true},     {"sub", true},     {"mul", true},      {"div", true},
    {"neg", true},     {"exp", true},     {"log", true},      {"sqrt", true},
    {"relu", true},    {"gelu", true},    {"sigmoid", true},  {"scale", true},
    {"unary_backward", false},            {"where", true},
    {"sum", true},     {"mean", true},    {"max", true},      {"max_backward", false},
    {"broadcast_to", true},
    {"matmul", true},
    {"softmax", true}, {"softmax_backward", false},
    {"cross_entropy", true}, {"cross_entropy_backward", false},
    {"layer_norm", true},    {"layer_norm_backward", false},
    {"embedding", true},     {"embedding_backward", false},
    {"shift", true},   {"shift_backward", false},
    {"slice", true},   {"slice_backward", false},
    {"concat", true},  {"permute", true},
    {"global_norm", false}, {"adamw", false},
};
static_assert(sizeof(OP_TABLE) / sizeof(OP_TABLE[0]) == static_cast<size_t>(Op::OP_COUNT),
              "every Op needs exactly one row in OP_TABLE, in enum order");

}  // namespace

const OpInfo& op_info(Op op) {
    check(op < Op::OP_COUNT, "op_info: invalid op ", static_cast<int>(op));
    return OP_TABLE[static_cast<int>(op)];
}

}  // namespace induction
