// softmax.cpp (autograd) — softmax (with its attention masks) and the cross-entropy loss, each
// backward rule directly below its forward. Both backward rules are single fused kernels
// (SOFTMAX_BACKWARD, CROSS_ENTROPY_BACKWARD in tensor/softmax.cpp).
#include "autograd/functions.h"

namespace induction {

// dx = y * (g - sum(g * y)) per row; masked entries have y = 0 and so get no gradient.
Var softmax(const Var& x, bool causal, const std::vector<int32_t>& head_windows) {
    Tensor y = softmax(x.value(), causal, head_windows);
    return make_result(y, {x}, [x, y](const Tensor& g) {
        accumulate_grad(x, softmax_backward(y, g));
    });
}

// Per-token losses [N]; d(loss_n)/d(logits_n) = softmax(logits_n) - onehot(target_n), scaled by
// the incoming gradient; ignored targets pass no gradient. The targets are constants.
Var cross_entropy(const Var& logits, const Tensor& targets, int32_t ignore_index) {
    Tensor losses = cross_entropy(logits.value(), targets, ignore_index);
    return make_result(losses, {logits}, [logits, targets, losses, ignore_index](const Tensor& g) {
        accumulate_grad(logits,
                        cross_entropy_backward(logits.value(), targets, losses, g, ignore_index));
    });
}

}  // namespace induction
