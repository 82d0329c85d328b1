// embedding.cpp (autograd) — the table lookup and its gradient: g's rows scatter-added into the
// rows of the table they came from. The ids are constants.
#include "autograd/functions.h"

namespace induction {

Var embedding(const Var& table, const Tensor& ids) {
    return make_result(embedding(table.value(), ids), {table}, [table, ids](const Tensor& g) {
        accumulate_grad(table, embedding_backward(ids, g, table.size(0)));
    });
}

}  // namespace induction
