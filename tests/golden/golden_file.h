// golden_file.h — the golden reference (tests/golden/golden.safetensors, written by make_golden.py
// with PyTorch) as the tests that compare against it read it.
#pragma once

#include <filesystem>
#include <string>

#include "model/io/safetensors.h"

namespace induction::testing {

inline std::string golden_path() {
    // The Makefile compiles with paths relative to the repository root, CMake with absolute ones.
    return (std::filesystem::path(__FILE__).parent_path() / "golden.safetensors").string();
}

inline const SafetensorsFile& golden() {
    static const SafetensorsFile file = read_safetensors(golden_path());
    return file;
}

// The file's __metadata__ entry `key`; an error names the file when it is missing.
inline std::string metadata(const std::string& key) {
    for (const auto& [k, v] : golden().metadata)
        if (k == key) return v;
    fail(golden_path(), ": no __metadata__ entry '", key, "'");
}

}  // namespace induction::testing
