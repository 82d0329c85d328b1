// parity_cases.cpp — the parity harness's case table: per op family, awkward shapes (size 1, odd,
// prime, larger than a thread's grain so the N-thread run really splits), every parameter and
// both floating dtypes. Inputs are seeded, so every run checks the same numbers.
#include <cmath>
#include <string>

#include "tensor/ops.h"
#include "tests/support/testing.h"
#include "tests/tensor/parity.h"

namespace induction::testing {

namespace {

// Cases are added per dtype; `seed` keeps their inputs distinct.
struct CaseTable {
    std::vector<ParityCase> cases;
    uint64_t seed = 1;

    void add(DType dtype, const std::string& name, std::function<void(DType, uint64_t)> body,
             std::optional<Tolerance> tolerance = {}) {
        uint64_t s = seed++;
        cases.push_back({name + " " + dtype_name(dtype), [=] { body(dtype, s); }, tolerance});
    }
};

Tensor rand(const Shape& shape, DType dtype, uint64_t seed, double low = -2, double high = 2) {
    return random_tensor(shape, dtype, seed, low, high);
}

const Shape ELEMENTWISE_SHAPES[] = {{}, {1}, {7}, {3, 5, 11}, {2, 3, 4, 5}, {3, 40009}};

void elementwise_cases(CaseTable& t, DType d) {
    for (const Shape& shape : ELEMENTWISE_SHAPES) {
        t.add(d, "add sub mul div " + shape.str(), [shape](DType d, uint64_t s) {
            Tensor a = rand(shape, d, s), b = rand(shape, d, s + 1000, 0.5, 2);
            add(a, b), sub(a, b), mul(a, b), div(a, b);
        });
        t.add(d, "unary " + shape.str(), [shape](DType d, uint64_t s) {
            Tensor x = rand(shape, d, s), positive = rand(shape, d, s + 1000, 0.1, 3);
            for (Op op : {Op::NEG, Op::EXP, Op::RELU, Op::GELU, Op::SIGMOID}) {
                Tensor y = op == Op::NEG ? neg(x) : op == Op::EXP ? exp(x) : op == Op::RELU ? relu(x)
                           : op == Op::GELU ? gelu(x) : sigmoid(x);
                unary_backward(op, x, y, rand(shape, d, s + 2000));
            }
            for (Op op : {Op::LOG, Op::SQRT})
                unary_backward(op, positive, op == Op::LOG ? log(positive) : sqrt(positive),
                               rand(shape, d, s + 3000));
            scale(x, -1.75, 0.5), scale(x, 0, 3);
        });
        t.add(d, "where " + shape.str(), [shape](DType d, uint64_t s) {
            where(random_tensor(shape, DType::I32, s, 0, 2), rand(shape, d, s + 1), rand(shape, d, s + 2));
        });
    }
    const std::pair<Shape, Shape> broadcasts[] = {
        {{4, 1, 6}, {5, 1}}, {{}, {2, 3}}, {{1}, {17}}, {{3, 1}, {1, 40009}}, {{2, 1, 3, 1}, {1, 5, 1, 7}}};
    for (const auto& [sa, sb] : broadcasts)
        t.add(d, "broadcast " + sa.str() + " with " + sb.str(), [sa, sb](DType d, uint64_t s) {
            Tensor a = rand(sa, d, s), b = rand(sb, d, s + 1, 0.5, 2);
            add(a, b), sub(b, a), mul(a, b), div(a, b);
        });
}

void reduce_cases(CaseTable& t, DType d) {
    const Shape shapes[] = {{1}, {13}, {3, 4, 5, 6}, {2, 70001}, {70001, 2}};
    for (const Shape& shape : shapes)
        for (int axis = 0; axis < shape.ndim; ++axis)
            for (bool keepdim : {false, true})
                t.add(d, "sum mean max axis " + std::to_string(axis) + (keepdim ? " keepdim " : " ") + shape.str(),
                      [shape, axis, keepdim](DType d, uint64_t s) {
                          Tensor x = rand(shape, d, s);
                          sum(x, axis, keepdim), mean(x, axis, keepdim);
                          Tensor y = max(x, axis, true);
                          max_backward(x, y, rand(y.shape(), d, s + 1), axis);
                      });
    const std::pair<Shape, Shape> broadcasts[] = {{{3, 1, 5}, {2, 3, 4, 5}}, {{}, {7}}, {{1, 1}, {3, 40009}}};
    for (const auto& [from, to] : broadcasts)
        t.add(d, "broadcast_to " + from.str() + " to " + to.str(),
              [from, to](DType d, uint64_t s) { broadcast_to(rand(from, d, s), to); });
}

void matmul_cases(CaseTable& t, DType d) {
    struct Sizes { int64_t batch, m, k, n; };
    const Sizes sizes[] = {{0, 1, 1, 1}, {0, 7, 5, 3}, {0, 33, 65, 17}, {0, 128, 96, 257},
                           {3, 9, 9, 9}, {4, 31, 16, 33}, {2, 64, 70, 48}};
    for (const Sizes& z : sizes)
        for (int flags = 0; flags < 4; ++flags) {
            bool ta = flags & 1, tb = flags & 2;
            std::string name = "matmul batch " + std::to_string(z.batch) + " " + std::to_string(z.m) + "x" +
                               std::to_string(z.k) + "x" + std::to_string(z.n) + (ta ? " ta" : "") + (tb ? " tb" : "");
            t.add(d, name, [z, ta, tb](DType d, uint64_t s) {
                auto shape = [&](int64_t rows, int64_t cols, bool transposed, bool batched) {
                    Shape m = transposed ? Shape{cols, rows} : Shape{rows, cols};
                    return batched ? Shape{z.batch, m[0], m[1]} : m;
                };
                Tensor a = rand(shape(z.m, z.k, ta, z.batch > 0), d, s);
                matmul(a, rand(shape(z.k, z.n, tb, z.batch > 0), d, s + 1), ta, tb);
                if (z.batch > 0) matmul(a, rand(shape(z.k, z.n, tb, false), d, s + 2), ta, tb);  // shared b
            }, Tolerance{1e-4, 1e-4});
        }
    // Triangular masks, as causal attention uses them: square [T, T] operands.
    for (Triangle a : {Triangle::FULL, Triangle::LOWER})
        for (Triangle b : {Triangle::FULL, Triangle::UPPER})
            for (Triangle c : {Triangle::FULL, Triangle::LOWER})
                t.add(d, std::string("matmul masks ") + triangle_name(a) + " " + triangle_name(b) + " " +
                             triangle_name(c),
                      [a, b, c](DType d, uint64_t s) {
                          for (int64_t T : {1, 5, 37, 70})
                              matmul(rand({2, T, T}, d, s), rand({2, T, T}, d, s + 1), false, false, {a, b, c});
                      }, Tolerance{1e-4, 1e-4});
}

void softmax_cases(CaseTable& t, DType d) {
    const Shape shapes[] = {{1}, {5, 7}, {3, 1, 257}, {2, 3, 9, 9}, {4, 8, 64, 64}};
    for (const Shape& shape : shapes)
        for (bool causal : {false, true}) {
            if (causal && (shape.ndim < 2 || shape.back(1) != shape.back(2))) continue;
            t.add(d, std::string("softmax") + (causal ? " causal " : " ") + shape.str(), [shape, causal](DType d, uint64_t s) {
                Tensor y = softmax(rand(shape, d, s, -6, 6), causal);
                softmax_backward(y, rand(shape, d, s + 1));
            });
        }
    t.add(d, "softmax head windows", [](DType d, uint64_t s) {
        for (bool causal : {false, true}) {
            Tensor y = softmax(rand({2, 4, 11, 11}, d, s, -6, 6), causal, {0, 1, 3, 11});
            softmax_backward(y, rand(y.shape(), d, s + 1));
        }
    });
    for (int64_t vocab : {1, 37, 512, 5003})
        t.add(d, "cross_entropy V " + std::to_string(vocab), [vocab](DType d, uint64_t s) {
            int64_t rows = vocab > 1000 ? 41 : 13;
            Tensor logits = rand({rows, vocab}, d, s, -8, 8);
            std::vector<int32_t> ids = random_tensor({rows}, DType::I32, s + 1, 0, int32_t(vocab)).to_ints();
            for (int32_t ignore : {-1, 2}) {
                if (ignore >= 0) ids[0] = ids[rows - 1] = ignore;
                Tensor targets = Tensor::from_ints({rows}, ids);
                Tensor losses = cross_entropy(logits, targets, ignore);
                cross_entropy_backward(logits, targets, losses, rand({rows}, d, s + 2), ignore);
            }
        });
}

void layer_norm_cases(CaseTable& t, DType d) {
    const Shape shapes[] = {{1, 1}, {5, 7}, {3, 4, 33}, {2, 256}, {4099, 64}};
    for (const Shape& shape : shapes)
        for (double eps : {1e-5, 0.5})
            t.add(d, "layer_norm eps " + std::to_string(eps) + " " + shape.str(), [shape, eps](DType d, uint64_t s) {
                Tensor x = rand(shape, d, s, -3, 5);
                Tensor gamma = rand({shape.back(1)}, d, s + 1), beta = rand({shape.back(1)}, d, s + 2);
                LayerNormResult r = layer_norm(x, gamma, beta, eps);
                layer_norm_backward(x, gamma, r.mean, r.rstd, rand(shape, d, s + 3));
            });
}

void embedding_cases(CaseTable& t, DType d) {
    const std::pair<Shape, Shape> sizes[] = {{{1, 1}, {1}}, {{11, 7}, {3, 5}}, {{512, 64}, {8, 257}}, {{3, 40009}, {4}}};
    for (const auto& [table_shape, ids_shape] : sizes)
        t.add(d, "embedding " + table_shape.str() + " ids " + ids_shape.str(), [=](DType d, uint64_t s) {
            Tensor ids = random_tensor(ids_shape, DType::I32, s, 0, int32_t(table_shape[0]));
            embedding(rand(table_shape, d, s + 1), ids);
            Shape g = ids_shape;
            g.dims[g.ndim++] = table_shape[1];
            embedding_backward(ids, rand(g, d, s + 2), table_shape[0]);
        });
}

void layout_cases(CaseTable& t, DType d) {
    const Shape shapes[] = {{1}, {9}, {3, 5, 7}, {2, 3, 4, 5}, {5, 40009}};
    for (const Shape& shape : shapes)
        for (int axis = 0; axis < shape.ndim; ++axis)
            t.add(d, "shift slice concat axis " + std::to_string(axis) + " " + shape.str(), [shape, axis](DType d, uint64_t s) {
                Tensor x = rand(shape, d, s);
                for (bool replicate : {true, false}) shift(x, axis, replicate), shift_backward(x, axis, replicate);
                int64_t n = shape[axis], begin = n / 3, end = n - n / 4;
                Tensor part = slice(x, axis, begin, end);
                slice_backward(part, shape, axis, begin);
                concat({x, part, x}, axis);
            });
    const std::vector<int> perms[] = {{1, 0}, {0, 2, 1}, {2, 0, 1}, {0, 2, 1, 3}, {3, 1, 2, 0}, {1, 2, 3, 0}};
    for (const std::vector<int>& perm : perms)
        t.add(d, "permute " + std::to_string(perm.size()) + "-d", [perm](DType d, uint64_t s) {
            const Shape shapes[] = {{}, {}, {257, 3}, {3, 37, 5}, {2, 3, 5, 7}};
            permute(rand(shapes[perm.size()], d, s), perm);
            if (perm.size() == 4) permute(rand({4, 8, 64, 33}, d, s + 1), perm);
        });
}

void optimizer_cases(CaseTable& t, DType d) {
    const std::vector<Shape> shapes[] = {{{1}}, {{7}, {3, 5}}, {{300, 301}, {13}, {2, 3, 4, 5}}};
    for (const std::vector<Shape>& group : shapes)
        t.add(d, "global_norm of " + std::to_string(group.size()) + " tensors, first " + group[0].str(),
              [group](DType d, uint64_t s) {
                  std::vector<Tensor> tensors;
                  for (const Shape& shape : group) tensors.push_back(rand(shape, d, s++));
                  global_norm(tensors);
              });
    const Shape adam_shapes[] = {{1}, {17}, {3, 5, 7}, {301, 300}};
    for (const Shape& shape : adam_shapes)
        t.add(d, "adamw " + shape.str(), [shape](DType d, uint64_t s) {
            Tensor param = rand(shape, d, s), grad = rand(shape, d, s + 1, -0.1, 0.1);
            Tensor m = rand(shape, d, s + 2, -0.01, 0.01), v = rand(shape, d, s + 3, 0, 1e-4);
            // no clipping; clipped (norm above the maximum); skipped (norm not finite); decay, late step
            const double norms[] = {0.5, 8.0, INFINITY};
            for (double norm : norms) {
                AdamWStep step{3e-3, 0.9, 0.99, 1e-8, 0.05, 7, 1.0};
                adamw_update(param, grad, m, v, Tensor::full({}, norm, DType::F64), step);
            }
            adamw_update(param, grad, m, v, Tensor::full({}, 2.0, DType::F64), AdamWStep{0.5, 0, 0.5, 1e-3, 0, 1, INFINITY});
        });
}

}  // namespace

std::vector<ParityCase> parity_cases() {
    CaseTable table;
    for (DType d : {DType::F32, DType::F64}) {
        elementwise_cases(table, d);
        reduce_cases(table, d);
        matmul_cases(table, d);
        softmax_cases(table, d);
        layer_norm_cases(table, d);
        embedding_cases(table, d);
        layout_cases(table, d);
        optimizer_cases(table, d);
    }
    return table.cases;
}

}  // namespace induction::testing
