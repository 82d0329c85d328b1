// safetensors.h — reading and writing tensors in the safetensors format.
//
// Layout: an 8-byte little-endian u64 N, then N bytes of JSON header, then the data buffer.
// The header maps each tensor name to {"dtype": "F32"|"F64"|"I32", "shape": [...],
// "data_offsets": [begin, end]} (offsets relative to the data buffer) and may hold
// "__metadata__": {string: string}. This is the format TransformerLens / PyTorch users load
// with `safetensors.torch.load_file`. The reader checks everything and throws one Error that
// names the file, the tensor and the problem; it never returns a partly loaded file.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace induction {

struct SafetensorsFile {
    std::string path;  // where it was read from, for error messages
    std::vector<std::pair<std::string, Tensor>> tensors;        // in header order; CPU tensors
    std::vector<std::pair<std::string, std::string>> metadata;  // "__metadata__", in header order

    // The tensor called name; throws naming the file and the tensor when there is none.
    const Tensor& get(const std::string& name) const;
    bool contains(const std::string& name) const;
};

// Writes tensors (any device; copied to the host) in the given order, atomically.
// Names must be unique, non-empty and not "__metadata__".
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::vector<std::pair<std::string, std::string>>& metadata = {});

SafetensorsFile read_safetensors(const std::string& path);

}  // namespace induction
