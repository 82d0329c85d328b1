// embedding.cpp — validation and dispatch for the table lookup and its scatter-add gradient.
// Kernels: tensor/reference/embedding.cpp, tensor/cpu/embedding.cpp.
#include <string>

#include "tensor/ops.h"

namespace induction {

namespace {

// Throws unless ids is i32 with room for the embedding axis. The ids' values are not read here
// (that would copy them to the host on every call): they are checked where they enter — token
// files (train/token_file.cpp), evaluation rows (analysis/losses.cpp) — and a kernel given an id
// outside [0, V) writes a NaN row instead of reading outside the table, and its gradient drops it.
void check_ids(const Tensor& ids, const char* op) {
    if (!ids.defined() || ids.dtype() != DType::I32)
        fail(op, ": ids must be i32, got ", describe(ids));
    if (ids.ndim() >= MAX_DIMS)
        fail(op, ": ids ", describe(ids), " have too many dimensions (expected at most ",
             MAX_DIMS - 1, ", leaving one for the embedding)");
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
             describe(table));
    check_ids(ids, "embedding");
    Shape out_shape = with_row_axis(ids.shape(), table.size(1));
    Tensor out = Tensor::empty(out_shape, table.dtype(), table.device());
    dispatch({Op::EMBEDDING, {table, ids}, {out}, {}});
    return out;
}

Tensor embedding_backward(const Tensor& ids, const Tensor& g, int64_t vocab_size) {
    if (!g.defined() || !is_floating(g.dtype()))
        fail("embedding_backward: g must be f32 or f64, got ",
             describe(g));
    check_ids(ids, "embedding_backward");
    int64_t d = g.ndim() > 0 ? g.shape().back(1) : 0;
    if (g.shape() != with_row_axis(ids.shape(), d))
        fail("embedding_backward: g ", describe(g), " does not match ids ", describe(ids),
             " (expected ids' shape plus one last axis)");
    Tensor dtable = Tensor::empty({vocab_size, d}, g.dtype(), g.device());
    dispatch({Op::EMBEDDING_BACKWARD, {ids, g}, {dtable}, {}});
    return dtable;
}

}  // namespace induction
