// kernels.h — the cpu backend: fast CPU kernels, OpenMP across cores and SIMD-friendly inner
// loops, f32 and f64, one file per family (tensor/kernel_families.h). The parity harness
// (tests/tensor/test_parity.cpp) tests each against the reference backend.
//
// All kernels take a validated OpCall (see tensor/ops.h for shapes) and write its preallocated
// outputs. Tensors are contiguous (tensor/tensor.h), so kernels index flat memory.
#pragma once

#include "tensor/kernel_families.h"

namespace induction::cpu {

INDUCTION_KERNEL_FAMILIES(INDUCTION_DECLARE_KERNEL)
extern const Backend BACKEND;  // backend.cpp: its entry in the backend table

}  // namespace induction::cpu
