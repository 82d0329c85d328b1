// matmul.cpp (autograd) — C = op(A) op(B) and its gradients.
//
// With G = dL/dC: dL/d op(A) = G op(B)ᵀ and dL/d op(B) = op(A)ᵀ G. A stored transposed gets the
// transpose of its gradient, which the transpose flags express without copying:
//   dA = G op(B)ᵀ           = matmul(G, B, false, !tb)    when A is not transposed
//   dA = (G op(B)ᵀ)ᵀ = op(B) Gᵀ = matmul(B, G, tb, true)   when it is
//   dB = op(A)ᵀ G           = matmul(A, G, !ta, false)    when B is not transposed
//   dB = Gᵀ op(A)           = matmul(G, A, true, ta)      when it is
// A 2-D B shared across a batch receives the sum of its per-batch gradients.
//
// With triangular masks (tensor/triangle.h), C = mc(ma(op(A)) mb(op(B))) and
//   dL/d op(A) = ma(mc(G) mb(op(B))ᵀ),   dL/d op(B) = mb(ma(op(A))ᵀ mc(G)):
// each gradient is again a masked product, with a mask transposed (LOWER <-> UPPER) wherever its
// matrix appears transposed. Causal attention's six products all take this form.
#include "autograd/functions.h"

namespace induction {

namespace {

Tensor swap_last_two_axes(const Tensor& x) {
    std::vector<int> perm(x.ndim());
    for (int i = 0; i < x.ndim(); ++i) perm[i] = i;
    std::swap(perm[x.ndim() - 1], perm[x.ndim() - 2]);
    return permute(x, perm);
}

}  // namespace

Var matmul(const Var& a, const Var& b, bool ta, bool tb, MatmulMasks masks) {
    Tensor c = matmul(a.value(), b.value(), ta, tb, masks);
    return make_result(c, {a, b}, [a, b, ta, tb, masks](const Tensor& g) {
        bool shared_b = b.value().ndim() == 2 && a.value().ndim() > 2;  // masks are then FULL
        const Triangle ma = masks.a, mb = masks.b, mc = masks.c;
        if (a.requires_grad()) {
            Tensor da;
            if (!ta)  // G op(B)ᵀ
                da = matmul(g, b.value(), false, !tb, {mc, transposed(mb), ma});
            else if (!shared_b)  // (G op(B)ᵀ)ᵀ = op(B) Gᵀ
                da = matmul(b.value(), g, tb, true, {mb, transposed(mc), transposed(ma)});
            else  // a 2-D op(B) cannot lead a batched product: transpose G op(B)ᵀ instead
                da = swap_last_two_axes(matmul(g, b.value(), false, !tb));
            accumulate_grad(a, da);
        }
        if (!b.requires_grad()) return;
        if (shared_b && !ta) {
            // Fold the batch into rows: A as [B*M, K], G as [B*M, N] — one GEMM, no summing.
            const Shape& as = a.shape();
            Tensor a_rows = a.value().reshape({as.numel() / as.back(1), as.back(1)});
            Tensor g_rows = g.reshape({g.numel() / g.shape().back(1), g.shape().back(1)});
            accumulate_grad(b, tb ? matmul(g_rows, a_rows, true, false)
                                  : matmul(a_rows, g_rows, true, false));
            return;
        }
        Tensor db = tb ? matmul(g, a.value(), true, ta, {transposed(mc), ma, transposed(mb)})  // (op(A)ᵀ G)ᵀ
                       : matmul(a.value(), g, !ta, false, {transposed(ma), mc, mb});         // op(A)ᵀ G
        if (shared_b) db = sum_to_shape(db, b.shape());
        accumulate_grad(b, db);
    });
}

}  // namespace induction
