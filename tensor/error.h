// error.h — the one exception type of the project and helpers to build its messages.
//
// Every misuse (wrong shape, wrong dtype, index out of range, corrupt file) throws
// induction::Error with a one-line message that names the operation, what it got and
// what it expected, e.g. "matmul: inner dimensions differ: a [2, 3] x b [4, 5] (expected a.cols == b.rows)".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace induction {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Concatenates any streamable values into one message and throws it as an Error.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
    std::ostringstream message;
    (message << ... << parts);
    throw Error(message.str());
}

// check(condition, parts...) throws Error(parts...) when the condition is false.
template <class... Parts>
void check(bool condition, const Parts&... parts) {
    if (!condition) fail(parts...);
}

}  // namespace induction
