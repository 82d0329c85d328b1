// softmax.cpp (reference) — softmax with causal / local-window masks (METHODS.md §1.1, §1.5),
// its backward, and cross-entropy with its backward: one row at a time, every sum in double, the
// mask tested element by element exactly as the spec states it.
//
// Tensors are contiguous; a "row" is the last axis. For masks, x is [..., T, T] (softmax with
// head_windows: [B, H, T, T]) and row r is query position i = r % T of head h = (r / T) % H.
#include <cmath>
#include <limits>

#include "tensor/dtype_dispatch.h"
#include "tensor/reference/kernels.h"

namespace induction::reference {

namespace {

// Whether query i may attend to key j (METHODS.md §1.5): causal allows j <= i; a local head of
// window w > 0 allows 0 <= i - j < w.
bool allowed(int64_t i, int64_t j, bool causal, int64_t window) {
    if (causal && j > i) return false;
    if (window > 0 && !(i - j >= 0 && i - j < window)) return false;
    return true;
}

// log(sum_j exp(x_j)) of one row, computed stably in double.
template <class T>
double logsumexp(const T* x, int64_t n) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) m = std::max(m, double(x[j]));
    double s = 0;
    for (int64_t j = 0; j < n; ++j) s += std::exp(double(x[j]) - m);
    return m + std::log(s);
}

}  // namespace

void softmax(const OpCall& call) {
    const Tensor& x = call.inputs[0];
    Tensor y = call.outputs[0];
    const OpParams& p = call.params;
    int64_t n = x.size(-1), rows = x.numel() / n;
    int64_t heads = static_cast<int64_t>(p.head_windows.size());
    with_floating_type(x.dtype(), "softmax", [&](auto zero) {
        using T = decltype(zero);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
            const T* xr = px + r * n;
            T* yr = py + r * n;
            int64_t i = r % n;  // query position when masked (blocks are [n, n])
            int64_t window = heads ? p.head_windows[(r / n) % heads] : 0;
            double m = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < n; ++j)
                if (allowed(i, j, p.causal, window)) m = std::max(m, double(xr[j]));
            double s = 0;
            for (int64_t j = 0; j < n; ++j)
                if (allowed(i, j, p.causal, window)) s += std::exp(double(xr[j]) - m);
            for (int64_t j = 0; j < n; ++j)
                yr[j] = allowed(i, j, p.causal, window) ? T(std::exp(double(xr[j]) - m) / s) : T(0);
        }
    });
}

void softmax_backward(const OpCall& call) {
    const Tensor &y = call.inputs[0], &g = call.inputs[1];
    Tensor dx = call.outputs[0];
    int64_t n = y.size(-1), rows = y.numel() / n;
    with_floating_type(y.dtype(), "softmax_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *py = y.data<T>(), *pg = g.data<T>();
        T* pdx = dx.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
            double dot = 0;  // sum_j g_j y_j
            for (int64_t j = 0; j < n; ++j) dot += double(pg[r * n + j]) * double(py[r * n + j]);
            for (int64_t j = 0; j < n; ++j)
                pdx[r * n + j] = T(double(py[r * n + j]) * (double(pg[r * n + j]) - dot));
        }
    });
}

void cross_entropy(const OpCall& call) {
    const Tensor &logits = call.inputs[0], &targets = call.inputs[1];
    Tensor losses = call.outputs[0];
    int64_t rows = logits.size(0), vocab = logits.size(1);
    with_floating_type(logits.dtype(), "cross_entropy", [&](auto zero) {
        using T = decltype(zero);
        const T* px = logits.data<T>();
        const int32_t* pt = targets.data<int32_t>();
        T* pl = losses.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
            const T* xr = px + r * vocab;
            pl[r] = pt[r] == call.params.ignore_index ? T(0)
                                                      : T(logsumexp(xr, vocab) - double(xr[pt[r]]));
        }
    });
}

// The textbook form: recomputes each row's log-sum-exp (the fast kernel reads it off the losses).
void cross_entropy_backward(const OpCall& call) {
    const Tensor &logits = call.inputs[0], &targets = call.inputs[1], &g = call.inputs[3];
    Tensor dlogits = call.outputs[0];
    int64_t rows = logits.size(0), vocab = logits.size(1);
    with_floating_type(logits.dtype(), "cross_entropy_backward", [&](auto zero) {
        using T = decltype(zero);
        const T *px = logits.data<T>(), *pg = g.data<T>();
        const int32_t* pt = targets.data<int32_t>();
        T* pd = dlogits.data<T>();
        for (int64_t r = 0; r < rows; ++r) {
            const T* xr = px + r * vocab;
            bool ignored = pt[r] == call.params.ignore_index;
            double lse = ignored ? 0 : logsumexp(xr, vocab);
            for (int64_t j = 0; j < vocab; ++j) {
                double onehot = j == pt[r] ? 1 : 0;
                pd[r * vocab + j] =
                    ignored ? T(0) : T(double(pg[r]) * (std::exp(double(xr[j]) - lse) - onehot));
            }
        }
    });
}

}  // namespace induction::reference
