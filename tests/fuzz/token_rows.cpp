// token_rows.cpp — libFuzzer target for read_token_rows (analysis/losses.h), the reader of the
// int32 evaluation windows given to eval, ablate and analyze.
//
// The first byte is the context T, the next four the vocabulary size (little-endian u32); the
// rest is the file. It either loads or throws one clean Error line naming the file. Rows that
// load form an i32 [rows, T] tensor of the file's bytes, every token inside the vocabulary.
// Seeds: tests/fuzz/corpus/token_rows/.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "analysis/losses.h"
#include "tests/fuzz/fuzz_support.h"

using namespace induction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    constexpr size_t PARAMETER_BYTES = 5;
    if (size < PARAMETER_BYTES) return 0;
    const int64_t T = data[0];
    const int64_t vocab_size = fuzz::little_endian_u32(data + 1);
    const size_t file_bytes = size - PARAMETER_BYTES;
    const std::string& path =
        fuzz::write_scratch_file({reinterpret_cast<const char*>(data) + PARAMETER_BYTES, file_bytes});
    fuzz::expect_success_or_clean_error(
        [&] {
            const Tensor rows = read_token_rows(path, T, vocab_size);
            if (rows.dtype() != DType::I32 || rows.ndim() != 2 || rows.size(1) != T ||
                size_t(rows.nbytes()) != file_bytes ||
                std::memcmp(rows.raw_data(), data + PARAMETER_BYTES, file_bytes) != 0)
                fuzz::crash("rows that are not the file's bytes", describe(rows));
            const int32_t* tokens = rows.data<int32_t>();
            for (int64_t i = 0; i < rows.numel(); ++i)
                if (tokens[i] < 0 || tokens[i] >= vocab_size)
                    fuzz::crash("a token outside the vocabulary", std::to_string(tokens[i]));
        },
        path);
    return 0;
}
