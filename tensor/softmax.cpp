// softmax.cpp — validation and dispatch for softmax (with causal and local-window masks,
// METHODS.md §1.1 and §1.5), its backward, and the fused cross-entropy loss with its backward.
// Kernels: tensor/reference/softmax.cpp, tensor/cpu/softmax.cpp.
#include <string>

#include "tensor/ops.h"

namespace induction {

namespace {

void check_floating(const Tensor& x, const char* op, const char* role) {
    check(x.defined(), op, ": ", role, " is an undefined tensor");
    check(is_floating(x.dtype()), op, ": ", role, " must be f32 or f64, got ", describe(x));
}

void check_rows(const Tensor& x, const char* op, const char* role) {
    check(x.ndim() >= 1 && x.size(-1) >= 1, op, ": ", role, " ", describe(x),
          " has no last axis to normalise over (expected at least one element per row)");
}

std::string windows_str(const std::vector<int32_t>& windows) {
    std::string s = "[";
    for (size_t h = 0; h < windows.size(); ++h) s += (h ? ", " : "") + std::to_string(windows[h]);
    return s + "]";
}

// logits: [N, V], targets: i32 [N] (each in [0, V) or equal to ignore_index).
void check_cross_entropy_inputs(const char* op, const Tensor& logits, const Tensor& targets,
                                int32_t ignore_index) {
    check_floating(logits, op, "logits");
    check(logits.ndim() == 2 && logits.size(1) >= 1, op, ": logits ", describe(logits),
          " (expected [N, V] with V >= 1)");
    check(targets.defined() && targets.dtype() == DType::I32, op, ": targets must be i32, got ",
          describe(targets));
    check(targets.ndim() == 1 && targets.size(0) == logits.size(0), op, ": targets ",
          describe(targets), " for logits ", describe(logits), " (expected i32[",
          logits.size(0), "])");
    check(targets.device() == logits.device(), op, ": targets ", describe(targets),
          " and logits ", describe(logits), " are on different devices");
    // The targets' values are not read here (a host copy on every call): a kernel gives a target
    // outside [0, V) other than ignore_index a NaN loss and a NaN gradient row.
}

}  // namespace

Tensor softmax(const Tensor& x, bool causal, const std::vector<int32_t>& head_windows) {
    check_floating(x, "softmax", "x");
    check_rows(x, "softmax", "x");
    if (causal)
        check(x.ndim() >= 2 && x.size(-2) == x.size(-1), "softmax: causal mask needs square ",
              "trailing [T, T] blocks, got ", describe(x));
    if (!head_windows.empty()) {
        check(x.ndim() == 4 && x.size(1) == static_cast<int64_t>(head_windows.size()) &&
                  x.size(2) == x.size(3),
              "softmax: head_windows of size ", head_windows.size(), " for x ", describe(x),
              " (expected x: [B, ", head_windows.size(), ", T, T])");
        for (int32_t w : head_windows)
            if (w < 0)
                fail("softmax: head_windows ", windows_str(head_windows),
                     " has a negative window (expected w >= 0, 0 meaning dense)");
    }
    OpParams params;
    params.causal = causal;
    params.head_windows = head_windows;
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    dispatch({Op::SOFTMAX, {x}, {y}, params});
    return y;
}

Tensor softmax_backward(const Tensor& y, const Tensor& g) {
    check_floating(y, "softmax_backward", "y");
    check_floating(g, "softmax_backward", "g");
    check(y.shape() == g.shape() && y.dtype() == g.dtype(), "softmax_backward: y ", describe(y),
          " and g ", describe(g), " (expected the same shape and dtype)");
    check_rows(y, "softmax_backward", "y");
    Tensor dx = Tensor::empty(y.shape(), y.dtype(), y.device());
    dispatch({Op::SOFTMAX_BACKWARD, {y, g}, {dx}, {}});
    return dx;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index) {
    check_cross_entropy_inputs("cross_entropy", logits, targets, ignore_index);
    OpParams params;
    params.ignore_index = ignore_index;
    Tensor losses = Tensor::empty({logits.size(0)}, logits.dtype(), logits.device());
    dispatch({Op::CROSS_ENTROPY, {logits, targets}, {losses}, params});
    return losses;
}

Tensor cross_entropy_backward(const Tensor& logits, const Tensor& targets, const Tensor& losses,
                              const Tensor& g, int32_t ignore_index) {
    check_cross_entropy_inputs("cross_entropy_backward", logits, targets, ignore_index);
    for (const auto& [tensor, name] : {std::pair{&losses, "losses"}, std::pair{&g, "g"}}) {
        check_floating(*tensor, "cross_entropy_backward", name);
        check(tensor->ndim() == 1 && tensor->size(0) == logits.size(0) &&
                  tensor->dtype() == logits.dtype(),
              "cross_entropy_backward: ", name, " ", describe(*tensor), " for logits ",
              describe(logits), " (expected ", dtype_name(logits.dtype()), "[", logits.size(0), "])");
    }
    OpParams params;
    params.ignore_index = ignore_index;
    Tensor dlogits = Tensor::empty(logits.shape(), logits.dtype(), logits.device());
    dispatch({Op::CROSS_ENTROPY_BACKWARD, {logits, targets, losses, g}, {dlogits}, params});
    return dlogits;
}

}  // namespace induction
