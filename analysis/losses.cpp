// losses.cpp — batched forward-only per-token losses.
#include "analysis/losses.h"

#include <cstring>

#include "autograd/functions.h"
#include "model/io/file_io.h"

namespace induction {

Tensor per_token_losses(const Transformer& model, const Tensor& tokens, int64_t batch_size) {
    check(tokens.dtype() == DType::I32 && tokens.ndim() == 2, "per_token_losses: tokens must be i32 ",
          "[N, T], got ", describe(tokens));
    check(batch_size >= 1, "per_token_losses: the batch must hold at least one window, got ", batch_size);
    const int64_t N = tokens.size(0), T = tokens.size(1);
    Tensor losses = Tensor::empty({N, T - 1}, DType::F32);
    NoGrad no_grad;
    for (int64_t begin = 0; begin < N; begin += batch_size) {
        int64_t end = std::min(N, begin + batch_size);
        Tensor rows = tokens.slice(begin, end);
        Tensor batch_losses = next_token_losses(forward(model, rows), rows).value().to(DType::F32);
        std::memcpy(losses.slice(begin, end).raw_data(), batch_losses.raw_data(), batch_losses.nbytes());
    }
    return losses;
}

Tensor read_token_rows(const std::string& path, int64_t T, int64_t vocab_size) {
    check(T >= 2, path, ": context T must be at least 2, got ", T);
    std::string bytes = read_file_bytes(path);
    int64_t row_bytes = T * int64_t(sizeof(int32_t));
    check(!bytes.empty() && int64_t(bytes.size()) % row_bytes == 0, path, ": ", bytes.size(),
          " bytes is not a whole number of rows of ", T, " int32 tokens (", row_bytes, " bytes each)");
    int64_t rows = int64_t(bytes.size()) / row_bytes;
    Tensor tokens = Tensor::empty({rows, T}, DType::I32);
    std::memcpy(tokens.raw_data(), bytes.data(), bytes.size());  // little-endian host
    const int32_t* ids = tokens.data<int32_t>();
    for (int64_t i = 0; i < tokens.numel(); ++i)
        check(ids[i] >= 0 && ids[i] < vocab_size, path, ": token ", ids[i], " at row ", i / T,
              ", position ", i % T, " is outside the vocabulary [0, ", vocab_size, ")");
    return tokens;
}

}  // namespace induction
