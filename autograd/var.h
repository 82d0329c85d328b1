// var.h — Var, the differentiable value, and reverse-mode backpropagation.
//
// A Var holds a value Tensor, a gradient (undefined until backward() reaches it) and, when it
// was computed by a differentiable op while gradients were enabled, the Node that made it. Each
// Node records its inputs and a backward rule: a function from d(loss)/d(output) to
// contributions to d(loss)/d(input), accumulated with accumulate_grad().
//
// The tape is implicit: every Node gets an increasing sequence number when it is created, and
// backward(root) collects the Nodes reachable from root and runs their rules in decreasing
// sequence order — the reverse of the order the forward pass executed them. A graph lives
// exactly as long as the Vars that refer to it, so forgetting to call backward() leaks nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "tensor/tensor.h"

namespace induction {

struct Node;

struct VarState {
    Tensor value;
    Tensor grad;
    bool requires_grad = false;
    std::shared_ptr<Node> node;  // null for leaves and for values computed without gradients
};

class Var {
public:
    Var() = default;
    // A leaf. Parameters are leaves with requires_grad = true.
    explicit Var(Tensor value, bool requires_grad = false);

    bool defined() const { return state_ != nullptr; }
    const Tensor& value() const;
    const Tensor& grad() const;  // undefined until a backward pass reaches this Var
    bool requires_grad() const;
    void zero_grad();              // forgets the accumulated gradient
    void set_value(Tensor value);  // replaces the value of a leaf (optimizer steps, loading)

    const Shape& shape() const { return value().shape(); }
    DType dtype() const { return value().dtype(); }
    int64_t size(int axis) const { return value().size(axis); }

    const std::shared_ptr<VarState>& state() const { return state_; }

private:
    std::shared_ptr<VarState> state_;
};

// d(loss)/d(output) → accumulates into the inputs' gradients.
using BackwardRule = std::function<void(const Tensor& grad_output)>;

struct Node {
    uint64_t sequence = 0;                          // creation order: the tape position
    std::vector<std::shared_ptr<VarState>> inputs;  // keeps the graph alive
    VarState* output = nullptr;                     // owned by the Var holding this Node
    BackwardRule backward;
};

// True unless a NoGrad scope is active on this thread.
bool grad_enabled();

// While alive, ops on this thread record no graph (analysis and evaluation run inside one).
class NoGrad {
public:
    NoGrad();
    ~NoGrad();
    NoGrad(const NoGrad&) = delete;
    NoGrad& operator=(const NoGrad&) = delete;

private:
    bool previous_;
};

// The output Var of an op. When gradients are enabled and some input requires one, the output
// requires one too and `rule` is recorded; otherwise the rule is dropped unused.
Var make_result(Tensor value, const std::vector<Var>& inputs, BackwardRule rule);

// Adds g to v's gradient when v requires one (the first contribution is stored as it is).
void accumulate_grad(const Var& v, const Tensor& g);

// Backpropagates from a single-element root (seeded with 1) or with an explicit seed of the
// root's shape. Leaves keep their gradients; intermediate gradients and saved tensors are freed
// as the pass goes, so a graph can be backpropagated once.
void backward(const Var& root);
void backward(const Var& root, const Tensor& seed);

}  // namespace induction
