// broadcast.h — index arithmetic for NumPy-style broadcasting over up to four dimensions.
//
// Both operands are padded on the left to four axes; an axis of size 1 gets stride 0, so
// walking the output with the operand's strides repeats it along that axis.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/shape.h"

namespace induction {

struct BroadcastIndex {
    std::array<int64_t, MAX_DIMS> out_dims{};  // output shape padded to 4 axes
    std::array<int64_t, MAX_DIMS> a_strides{};  // element strides of a (0 on broadcast axes)
    std::array<int64_t, MAX_DIMS> b_strides{};

    BroadcastIndex(const Shape& out, const Shape& a, const Shape& b) {
        auto strides_for = [&](const Shape& s, std::array<int64_t, MAX_DIMS>& strides) {
            int64_t stride = 1;
            for (int axis = MAX_DIMS - 1, k = s.ndim - 1; axis >= 0; --axis, --k) {
                int64_t size = k >= 0 ? s[k] : 1;
                strides[axis] = size == 1 ? 0 : stride;
                stride *= size;
            }
        };
        for (int axis = MAX_DIMS - 1, k = out.ndim - 1; axis >= 0; --axis, --k)
            out_dims[axis] = k >= 0 ? out[k] : 1;
        strides_for(a, a_strides);
        strides_for(b, b_strides);
    }

    // Offsets into a and b for the flat output index i.
    void offsets(int64_t i, int64_t& a_offset, int64_t& b_offset) const {
        a_offset = b_offset = 0;
        for (int axis = MAX_DIMS - 1; axis >= 0; --axis) {
            int64_t coordinate = i % out_dims[axis];
            i /= out_dims[axis];
            a_offset += coordinate * a_strides[axis];
            b_offset += coordinate * b_strides[axis];
        }
    }
};

}  // namespace induction
