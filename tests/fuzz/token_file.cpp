// token_file.cpp — libFuzzer target for TokenFile::open (train/token_file.h), the memory-mapped
// reader of a tokenized corpus.
//
// The first byte picks the token type (even: uint16, odd: int32), the next four the vocabulary
// size (little-endian u32, so sizes that fit no type are tried too); the rest is the file. It
// either opens or throws one clean Error line naming the file. A file that opens holds
// size / token bytes tokens, each inside the vocabulary, and copy() reads them all.
// Seeds: tests/fuzz/corpus/token_file/.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/fuzz_support.h"
#include "train/token_file.h"

using namespace induction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    constexpr size_t PARAMETER_BYTES = 5;
    if (size < PARAMETER_BYTES) return 0;
    const TokenType type = data[0] % 2 == 0 ? TokenType::UINT16 : TokenType::INT32;
    const int64_t vocab_size = fuzz::little_endian_u32(data + 1);
    const size_t file_bytes = size - PARAMETER_BYTES;
    const std::string& path =
        fuzz::write_scratch_file({reinterpret_cast<const char*>(data) + PARAMETER_BYTES, file_bytes});
    fuzz::expect_success_or_clean_error(
        [&] {
            const TokenFile file = TokenFile::open(path, type, vocab_size);
            if (file.size() * token_type_bytes(type) != int64_t(file_bytes))
                fuzz::crash("a token count that does not match the file size", std::to_string(file.size()));
            std::vector<int32_t> tokens(file.size());
            file.copy(0, file.size(), tokens.data());
            for (int32_t token : tokens)
                if (token < 0 || token >= vocab_size)
                    fuzz::crash("a token outside the vocabulary", std::to_string(token));
        },
        path);
    return 0;
}
