// shape.h — a tensor shape: up to four dimensions, innermost last, stored inline.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace induction {

constexpr int MAX_DIMS = 4;

struct Shape {
    int ndim = 0;
    std::array<int64_t, MAX_DIMS> dims{};

    Shape() = default;
    Shape(std::initializer_list<int64_t> sizes);
    explicit Shape(const std::vector<int64_t>& sizes);

    int64_t operator[](int axis) const { return dims[axis]; }
    int64_t& operator[](int axis) { return dims[axis]; }
    int64_t numel() const;
    // Size of a dimension counted from the end: back(1) is the innermost.
    int64_t back(int from_end) const { return dims[ndim - from_end]; }
    // Normalises a possibly negative axis (-1 = innermost); throws for out-of-range axes.
    int axis(int axis, const char* op) const;
    std::vector<int64_t> to_vector() const { return {dims.begin(), dims.begin() + ndim}; }
    std::string str() const;  // "[2, 3, 4]"

    bool operator==(const Shape& other) const;
    bool operator!=(const Shape& other) const { return !(*this == other); }
};

}  // namespace induction
