// json.cpp — libFuzzer target for json::parse (model/io/json.h), the parser under every file format
// the project reads.
//
// Any bytes either parse or throw one clean Error line. A document that parses must survive a
// round trip: dump() of it parses again, and compact and pretty output read back to the same
// value (compared through their compact dumps). Seeds: tests/fuzz/corpus/json/.
#include <cstddef>
#include <cstdint>

#include "model/io/json.h"
#include "tests/fuzz/fuzz_support.h"

using namespace induction;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    fuzz::expect_success_or_clean_error(
        [&] {
            const json::Value value = json::parse(text);
            const std::string compact = json::dump(value);
            if (json::dump(json::parse(compact)) != compact)
                fuzz::crash("compact output reads back differently", compact);
            if (json::dump(json::parse(json::dump(value, 2))) != compact)
                fuzz::crash("pretty output reads back differently", compact);
        },
        "");
    return 0;
}
