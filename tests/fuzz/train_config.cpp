// train_config.cpp — libFuzzer target for TrainConfig::from_json (train/train_config.h), the
// reader of a run's config.json (its "model" field goes through ModelConfig::from_json).
//
// The input is JSON text; fuzz_config_reader (fuzz_support.h) says what must hold.
// Seeds: tests/fuzz/corpus/train_config/.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_support.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    induction::fuzz::fuzz_config_reader<induction::TrainConfig>({reinterpret_cast<const char*>(data), size},
                                                                "fuzz-train-config.json");
    return 0;
}
