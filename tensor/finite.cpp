// finite.cpp — first_nonfinite_index (finite.h).
#include "tensor/finite.h"

#include <cmath>

#include "tensor/dtype_dispatch.h"

namespace induction {

int64_t first_nonfinite_index(const Tensor& tensor) {
    if (!is_floating(tensor.dtype())) return -1;
    return with_floating_type(tensor.dtype(), "first_nonfinite_index", [&](auto zero) -> int64_t {
        using T = decltype(zero);
        const T* values = tensor.data<T>();
        for (int64_t i = 0; i < tensor.numel(); ++i)
            if (!std::isfinite(values[i])) return i;
        return -1;
    });
}

}  // namespace induction
