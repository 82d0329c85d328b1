// step_profile.h — where one of our training steps spends its time, by the op groups that
// `induction bench train` sets beside PyTorch's (tools/bench/torch_train_peer.py --profile): the
// attention's batched matmuls (MATMUL with 4-D operands, [batch, heads, ., .], forward and
// backward) and the masked softmax (SOFTMAX and SOFTMAX_BACKWARD). Measured inside a real step:
// while a TimedOps is alive, the ops this thread dispatches run on a copy of the CPU backend
// whose every kernel is wrapped in a clock (tensor/backend.h's ScopedBackend), so nothing in the
// tensor layer changes and the timed steps of the benchmark run unwrapped.
#pragma once

#include "tensor/backend.h"

namespace induction {

struct OpGroupSeconds {
    double attention_matmul = 0;  // MATMUL calls whose two operands are 4-D
    double masked_softmax = 0;    // SOFTMAX, SOFTMAX_BACKWARD
    double all_ops = 0;           // every kernel the step ran
};

// One at a time (a second while one is alive is an error).
class TimedOps {
public:
    TimedOps();
    ~TimedOps();
    TimedOps(const TimedOps&) = delete;
    TimedOps& operator=(const TimedOps&) = delete;

    // The kernels' seconds since construction.
    const OpGroupSeconds& seconds() const { return seconds_; }

private:
    OpGroupSeconds seconds_;
    Backend backend_;
    ScopedBackend scope_;
};

}  // namespace induction
