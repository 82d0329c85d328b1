// model_config.cpp — libFuzzer target for ModelConfig::from_json (model/config.h), the reader of
// the architecture stored in a checkpoint's metadata and in a run's config.json.
//
// The input is JSON text; fuzz_config_reader (fuzz_support.h) says what must hold.
// Seeds: tests/fuzz/corpus/model_config/.
#include <cstddef>
#include <cstdint>

#include "model/config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    induction::fuzz::fuzz_config_reader<induction::ModelConfig>({reinterpret_cast<const char*>(data), size},
                                                                "fuzz-model-config.json");
    return 0;
}
