// fuzz_support.h — what every libFuzzer target in tests/fuzz/ shares: a scratch file to hand the
// input to readers that take a path, and the rule every reader must keep on any input.
//
// The rule: a reader either succeeds or throws induction::Error with a non-empty one-line
// message, free of control characters (below 0x20), that names its source (the file, or the
// config's source string). Anything else aborts, so libFuzzer records it as a crash; so do
// sanitizer reports, hangs and large allocations, which run_fuzzers.sh's -timeout and
// -malloc_limit_mb catch.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "model/io/json.h"
#include "tensor/error.h"

namespace induction::fuzz {

// The four bytes at data as a little-endian unsigned integer (targets take parameters so).
inline int64_t little_endian_u32(const uint8_t* data) {
    int64_t value = 0;
    for (int i = 0; i < 4; ++i) value |= int64_t(data[i]) << (8 * i);
    return value;
}

// The path of this process's scratch file, in a private directory removed at exit.
inline const std::string& scratch_path() {
    static const std::string path = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "induction-fuzz-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            std::perror("fuzz: mkdtemp");
            std::abort();
        }
        static const std::string directory = pattern;
        std::atexit([] { std::filesystem::remove_all(directory); });
        return directory + "/input";
    }();
    return path;
}

// Writes bytes to the scratch file (plainly: no fsync, it is rewritten every execution) and
// returns its path.
inline const std::string& write_scratch_file(std::string_view bytes) {
    const std::string& path = scratch_path();
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

[[noreturn]] inline void crash(std::string_view what, std::string_view message) {
    std::fprintf(stderr, "fuzz: %.*s: \"%.*s\"\n", int(what.size()), what.data(), int(message.size()),
                 message.data());
    std::abort();
}

// Runs read() and enforces the rule above; source is what an error must name ("" for none).
template <class Read>
void expect_success_or_clean_error(Read read, std::string_view source) {
    try {
        read();
    } catch (const Error& e) {
        const std::string_view message = e.what();
        if (message.empty()) crash("an empty error message", message);
        auto is_control = [](unsigned char c) { return c < 0x20; };  // a line break, an escape, ...
        if (std::any_of(message.begin(), message.end(), is_control))
            crash("an error message with a control character", message);
        if (message.find(source) == std::string_view::npos)
            crash("an error message that does not name its source", message);
    } catch (const std::exception& e) {
        crash("an exception other than induction::Error", e.what());
    }
}

// The target body for a config reader: text that is not JSON is skipped (the json target covers
// the parser); Config::from_json either rejects the rest cleanly, naming source, or accepts a
// config that reads back from its own to_json() unchanged.
template <class Config>
void fuzz_config_reader(std::string_view text, const std::string& source) {
    json::Value value;
    try {
        value = json::parse(text);
    } catch (const Error&) {
        return;
    }
    expect_success_or_clean_error(
        [&] {
            const json::Value written = Config::from_json(value, source).to_json();
            if (json::dump(Config::from_json(written, source).to_json()) != json::dump(written))
                crash("a config that reads back differently", json::dump(written));
        },
        source);
}

}  // namespace induction::fuzz
