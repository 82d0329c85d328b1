// kernels.h — the reference backend: plain loops, obviously right, f32 and f64 (accumulating in
// double), one file per family (tensor/kernel_families.h). Every other backend is tested against
// these; tests and `induction audit` select them with ScopedBackend (tensor/backend.h).
#pragma once

#include "tensor/kernel_families.h"

namespace induction::reference {

INDUCTION_KERNEL_FAMILIES(INDUCTION_DECLARE_KERNEL)
extern const Backend BACKEND;  // backend.cpp: its entry in the backend table

}  // namespace induction::reference
