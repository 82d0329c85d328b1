// shape.cpp — Shape construction, validation and printing.
#include "tensor/shape.h"

#include <sstream>

#include "tensor/error.h"

namespace induction {

Shape::Shape(std::initializer_list<int64_t> sizes) : Shape(std::vector<int64_t>(sizes)) {}

Shape::Shape(const std::vector<int64_t>& sizes) {
    check(sizes.size() <= MAX_DIMS, "shape: at most ", MAX_DIMS, " dimensions, got ", sizes.size());
    ndim = static_cast<int>(sizes.size());
    for (int i = 0; i < ndim; ++i) {
        check(sizes[i] >= 0, "shape: negative dimension ", sizes[i]);
        dims[i] = sizes[i];
    }
}

int64_t Shape::numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= dims[i];
    return n;
}

int Shape::axis(int axis, const char* op) const {
    int normalised = axis < 0 ? axis + ndim : axis;
    check(normalised >= 0 && normalised < ndim, op, ": axis ", axis, " out of range for shape ", str());
    return normalised;
}

std::string Shape::str() const {
    std::ostringstream out;
    out << '[';
    for (int i = 0; i < ndim; ++i) out << (i ? ", " : "") << dims[i];
    out << ']';
    return out.str();
}

bool Shape::operator==(const Shape& other) const {
    if (ndim != other.ndim) return false;
    for (int i = 0; i < ndim; ++i)
        if (dims[i] != other.dims[i]) return false;
    return true;
}

}  // namespace induction
