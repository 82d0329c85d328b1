// backend.cpp — the cpu backend's entry in the backend table: every op, f32 and f64.
#include "tensor/cpu/kernels.h"

namespace induction::cpu {

const Backend& backend() {
    static const Backend cpu{"cpu", Device::CPU, false,
                             kernel_table({INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_ADDRESS)})};
    return cpu;
}

}  // namespace induction::cpu
