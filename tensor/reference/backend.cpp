// backend.cpp — the reference backend's entry in the backend table: every op, f32 and f64.
#include "tensor/reference/kernels.h"

namespace induction::reference {

constinit const Backend BACKEND{"reference", Device::CPU, true, INDUCTION_BACKEND_KERNELS};

}  // namespace induction::reference
