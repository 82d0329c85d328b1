// embedding.cpp — validation and dispatch for the table lookup and its scatter-add gradient.
// Kernels: tensor/reference/embedding.cpp, tensor/cpu/embedding.cpp.
#include <string>

#include "tensor/ops.h"

namespace induction {

namespace {

// "[1, 3]": the coordinates of a flat index in a shape.
std::string position(const Shape& shape, int64_t flat) {
    std::vector<int64_t> coordinates(shape.ndim);
    for (int k = shape.ndim - 1; k >= 0; --k) {
        coordinates[k] = flat % shape[k];
        flat /= shape[k];
    }
    return Shape(coordinates).str();
}

// Throws unless ids is i32 with every id in [0, vocab_size). The ids are read on the host: an
// id out of range would make a kernel read or write outside the table.
void check_ids(const Tensor& ids, int64_t vocab_size, const char* op) {
    if (!ids.defined() || ids.dtype() != DType::I32)
        fail(op, ": ids must be i32, got ", ids.defined() ? describe(ids) : "an undefined tensor");
    if (ids.ndim() >= MAX_DIMS)
        fail(op, ": ids ", describe(ids), " have too many dimensions (expected at most ",
             MAX_DIMS - 1, ", leaving one for the embedding)");
    Tensor host = ids.device() == Device::CPU ? ids : ids.to(Device::CPU);
    const int32_t* p = host.data<int32_t>();
    for (int64_t i = 0; i < host.numel(); ++i)
        if (p[i] < 0 || p[i] >= vocab_size)
            fail(op, ": id ", p[i], " at position ", position(ids.shape(), i), " of ids ",
                 describe(ids), " is outside [0, ", vocab_size, ") (vocabulary size ",
                 vocab_size, ")");
}

// ids' shape with one more axis of size d: [..., d].
Shape with_row_axis(const Shape& ids_shape, int64_t d) {
    std::vector<int64_t> dims = ids_shape.to_vector();
    dims.push_back(d);
    return Shape(dims);
}

}  // namespace

Tensor embedding(const Tensor& table, const Tensor& ids) {
    if (!table.defined() || !is_floating(table.dtype()) || table.ndim() != 2)
        fail("embedding: table must be an f32 or f64 matrix [V, D], got ",
             table.defined() ? describe(table) : "an undefined tensor");
    check_ids(ids, table.size(0), "embedding");
    Shape out_shape = with_row_axis(ids.shape(), table.size(1));
    Tensor out = Tensor::empty(out_shape, table.dtype(), table.device());
    dispatch({Op::EMBEDDING, {table, ids}, {out}, {}});
    return out;
}

Tensor embedding_backward(const Tensor& ids, const Tensor& g, int64_t vocab_size) {
    if (!g.defined() || !is_floating(g.dtype()))
        fail("embedding_backward: g must be f32 or f64, got ",
             g.defined() ? describe(g) : "an undefined tensor");
    check_ids(ids, vocab_size, "embedding_backward");
    int64_t d = g.ndim() > 0 ? g.shape().back(1) : 0;
    if (g.shape() != with_row_axis(ids.shape(), d))
        fail("embedding_backward: g ", describe(g), " does not match ids ", describe(ids),
             " (expected ids' shape plus one last axis)");
    Tensor dtable = Tensor::empty({vocab_size, d}, g.dtype(), g.device());
    dispatch({Op::EMBEDDING_BACKWARD, {ids, g}, {dtable}, {}});
    return dtable;
}

}  // namespace induction
