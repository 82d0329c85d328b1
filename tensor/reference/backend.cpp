// backend.cpp — the reference backend's entry in the backend table: every op, f32 and f64.
#include "tensor/reference/kernels.h"

namespace induction::reference {

const Backend& backend() {
    static const Backend reference{"reference", Device::CPU, true,
                                   kernel_table({INDUCTION_KERNEL_FAMILIES(INDUCTION_KERNEL_ADDRESS)})};
    return reference;
}

}  // namespace induction::reference
