// dtype_dispatch.h — runs a generic lambda with the C++ element type behind a floating dtype.
//
//   with_floating_type(x.dtype(), "softmax", [&](auto zero) {
//       using T = decltype(zero);  // float or double
//       ...
//   });
#pragma once

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace induction {

template <class F>
decltype(auto) with_floating_type(DType dtype, const char* op, F&& body) {
    switch (dtype) {
        case DType::F32: return body(float{});
        case DType::F64: return body(double{});
        case DType::I32: break;
    }
    fail(op, ": expected an f32 or f64 tensor, got ", dtype_name(dtype));
}

}  // namespace induction
