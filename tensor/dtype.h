// dtype.h — element types and devices a Tensor can have.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace induction {

enum class DType { F32, F64, I32 };
enum class Device { CPU, CUDA };

inline size_t dtype_size(DType dtype) {
    switch (dtype) {
        case DType::F32: return 4;
        case DType::F64: return 8;
        case DType::I32: return 4;
    }
    return 0;
}

inline const char* dtype_name(DType dtype) {
    switch (dtype) {
        case DType::F32: return "f32";
        case DType::F64: return "f64";
        case DType::I32: return "i32";
    }
    return "?";
}

inline const char* device_name(Device device) { return device == Device::CPU ? "cpu" : "cuda"; }

inline bool is_floating(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }

// The C++ type behind each dtype, for templated kernels: DTypeOf<float>::value == DType::F32.
template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::F32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::F64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::I32; };

}  // namespace induction
