// safetensors.cpp — libFuzzer target for read_safetensors (model/io/safetensors.h), the reader of
// checkpoints, snapshots and the resume state.
//
// The input is the whole file. It either loads or throws one clean Error line naming the file.
// A file that loads accounts for every byte: the 8-byte length, the header and the tensors'
// data, back to back. Seeds: tests/fuzz/corpus/safetensors/.
#include <cstddef>
#include <cstdint>

#include "model/io/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

using namespace induction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fuzz::write_scratch_file({reinterpret_cast<const char*>(data), size});
    fuzz::expect_success_or_clean_error(
        [&] {
            const SafetensorsFile file = read_safetensors(path);
            uint64_t header_bytes = 0;
            for (int i = 0; i < 8; ++i) header_bytes |= uint64_t(data[i]) << (8 * i);
            uint64_t tensor_bytes = 0;
            for (const auto& [name, tensor] : file.tensors) tensor_bytes += tensor.nbytes();
            if (8 + header_bytes + tensor_bytes != size)
                fuzz::crash("a loaded file whose tensors do not fill it", std::to_string(tensor_bytes));
        },
        path);
    return 0;
}
