// tokenizer.cpp — libFuzzer target for Tokenizer::load (train/tokenizer.h), the reader of a run's
// tokenizer.json.
//
// The input is the whole file. It either loads or throws one clean Error line naming the file.
// A tokenizer that loads must encode and decode losslessly: decode(encode(input)) == input.
// Seeds: tests/fuzz/corpus/tokenizer/.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_support.h"
#include "train/tokenizer.h"

using namespace induction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const std::string& path = fuzz::write_scratch_file(bytes);
    fuzz::expect_success_or_clean_error(
        [&] {
            const Tokenizer tokenizer = Tokenizer::load(path);
            if (tokenizer.decode(tokenizer.encode(bytes)) != bytes)
                fuzz::crash("a loaded tokenizer that does not round-trip its own file", "");
        },
        path);
    return 0;
}
