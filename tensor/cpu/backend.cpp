// backend.cpp — the cpu backend's entry in the backend table: every op, f32 and f64.
#include "tensor/cpu/kernels.h"

namespace induction::cpu {

constinit const Backend BACKEND{"cpu", Device::CPU, false, INDUCTION_BACKEND_KERNELS};

}  // namespace induction::cpu
