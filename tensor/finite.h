// finite.h — finding NaN and infinity in a tensor: the check a checkpoint reader, the resume
// state and the trainer run before they trust weights or optimizer moments.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace induction {

// The flat index of the first NaN or ±Inf element of a floating tensor, or -1 when every element
// is finite (always -1 for an integer tensor).
int64_t first_nonfinite_index(const Tensor& tensor);

}  // namespace induction
