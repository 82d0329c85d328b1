// losses.h — per-token loss data (METHODS §2): the loss of every token of a fixed set of
// sequences, under one model snapshot.
#pragma once

#include "model/transformer.h"

namespace induction {

// tokens: i32 [N, T] → f32 [N, T-1] where entry [n, p] = −ln p(tokens[n, p+1] | tokens[n, ..p]).
// Runs forward-only (no graph) in batches of batch_size sequences.
Tensor per_token_losses(const Transformer& model, const Tensor& tokens, int64_t batch_size = 16);

// Reads raw little-endian int32 token ids as rows of T tokens; the file size must be a whole
// number of rows and every id must be < vocab_size (errors name the file and what was expected).
Tensor read_token_rows(const std::string& path, int64_t T, int64_t vocab_size);

}  // namespace induction
