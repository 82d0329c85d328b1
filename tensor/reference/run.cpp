// run.cpp — the reference backend's dispatch switch: which kernel family runs each Op.
#include "tensor/reference/kernels.h"

namespace induction::reference {

void run(const OpCall& call) {
    switch (call.op) {
        case Op::ADD: case Op::SUB: case Op::MUL: case Op::DIV: return binary(call);
        case Op::NEG: case Op::EXP: case Op::LOG: case Op::SQRT: case Op::RELU: case Op::GELU:
        case Op::SIGMOID: case Op::SCALE: return unary(call);
        case Op::UNARY_BACKWARD: return unary_backward(call);
        case Op::WHERE: return where(call);
        case Op::SUM: case Op::MEAN: case Op::MAX: return reduce(call);
        case Op::MAX_BACKWARD: return max_backward(call);
        case Op::BROADCAST_TO: return broadcast_to(call);
        case Op::MATMUL: return matmul(call);
        case Op::SOFTMAX: return softmax(call);
        case Op::SOFTMAX_BACKWARD: return softmax_backward(call);
        case Op::CROSS_ENTROPY: return cross_entropy(call);
        case Op::CROSS_ENTROPY_BACKWARD: return cross_entropy_backward(call);
        case Op::LAYER_NORM: return layer_norm(call);
        case Op::LAYER_NORM_BACKWARD: return layer_norm_backward(call);
        case Op::EMBEDDING: return embedding(call);
        case Op::EMBEDDING_BACKWARD: return embedding_backward(call);
        case Op::SHIFT: return shift(call);
        case Op::SHIFT_BACKWARD: return shift_backward(call);
        case Op::SLICE: return slice(call);
        case Op::SLICE_BACKWARD: return slice_backward(call);
        case Op::CONCAT: return concat(call);
        case Op::PERMUTE: return permute(call);
        case Op::OP_COUNT: break;
    }
    fail("reference backend: no kernel for op ", op_name(call.op));
}

bool supports(Op op) {
    switch (op) {
        case Op::OP_COUNT: return false;
        default: return true;  // every op above has a case in run()
    }
}

}  // namespace induction::reference
