// var.cpp — Var bookkeeping and the backward pass over the implicit tape.
#include "autograd/var.h"

#include <algorithm>
#include <atomic>
#include <unordered_set>

#include "tensor/ops.h"

namespace induction {

namespace {

thread_local bool grad_mode = true;
std::atomic<uint64_t> next_sequence{0};

}  // namespace

Var::Var(Tensor value, bool requires_grad) : state_(std::make_shared<VarState>()) {
    check(value.defined(), "Var: undefined value");
    check(!requires_grad || is_floating(value.dtype()), "Var: only f32/f64 values can require a ",
          "gradient, got ", describe(value));
    state_->value = std::move(value);
    state_->requires_grad = requires_grad;
}

const Tensor& Var::value() const {
    check(defined(), "Var: use of an undefined Var");
    return state_->value;
}

const Tensor& Var::grad() const {
    check(defined(), "Var: use of an undefined Var");
    return state_->grad;
}

bool Var::requires_grad() const { return defined() && state_->requires_grad; }

void Var::zero_grad() {
    if (defined()) state_->grad = Tensor();
}

void Var::set_value(Tensor value) {
    check(defined() && !state_->node, "Var::set_value: only leaves can be assigned");
    check(value.shape() == state_->value.shape() && value.dtype() == state_->value.dtype(),
          "Var::set_value: ", describe(value), " for a ", describe(state_->value), " leaf");
    state_->value = std::move(value);
}

bool grad_enabled() { return grad_mode; }

NoGrad::NoGrad() : previous_(grad_mode) { grad_mode = false; }
NoGrad::~NoGrad() { grad_mode = previous_; }

Var make_result(Tensor value, const std::vector<Var>& inputs, BackwardRule rule) {
    Var out(std::move(value));
    if (!grad_mode) return out;
    bool needed = std::any_of(inputs.begin(), inputs.end(),
                              [](const Var& v) { return v.requires_grad(); });
    if (!needed) return out;
    auto node = std::make_shared<Node>();
    node->sequence = next_sequence++;
    for (const Var& v : inputs)
        if (v.defined()) node->inputs.push_back(v.state());
    node->output = out.state().get();
    node->backward = std::move(rule);
    out.state()->requires_grad = true;
    out.state()->node = std::move(node);
    return out;
}

void accumulate_grad(const Var& v, const Tensor& g) {
    if (!v.requires_grad()) return;
    VarState& s = *v.state();
    check(g.shape() == s.value.shape() && g.dtype() == s.value.dtype(), "backward: gradient ",
          describe(g), " for a value ", describe(s.value), " (expected the same shape and dtype)");
    s.grad = s.grad.defined() ? add(s.grad, g) : g;
}

void backward(const Var& root) {
    check(root.defined() && root.value().numel() == 1, "backward: the root must hold one element, ",
          "got ", root.defined() ? describe(root.value()).str() : "an undefined Var",
          " (pass a seed gradient for non-scalar roots)");
    backward(root, Tensor::full(root.shape(), 1.0, root.dtype(), root.value().device()));
}

void backward(const Var& root, const Tensor& seed) {
    check(root.requires_grad(), "backward: the root does not require a gradient (no parameter "
                                "with requires_grad reaches it, or it was computed under NoGrad)");
    // Collect the reachable nodes: the part of the tape this root depends on.
    std::vector<Node*> tape;
    std::unordered_set<Node*> seen;
    std::vector<Node*> stack;
    if (root.state()->node) stack.push_back(root.state()->node.get());
    while (!stack.empty()) {
        Node* node = stack.back();
        stack.pop_back();
        if (!seen.insert(node).second) continue;
        tape.push_back(node);
        for (const auto& input : node->inputs)
            if (input->node) stack.push_back(input->node.get());
    }
    std::sort(tape.begin(), tape.end(),
              [](const Node* a, const Node* b) { return a->sequence > b->sequence; });

    accumulate_grad(root, seed);
    for (Node* node : tape) {
        check(static_cast<bool>(node->backward), "backward: this graph was already "
                                                 "backpropagated (its saved tensors are freed)");
        Tensor grad_output = std::move(node->output->grad);
        node->output->grad = Tensor();
        if (grad_output.defined()) node->backward(grad_output);
        node->backward = nullptr;  // frees the tensors the rule saved
    }
}

}  // namespace induction
