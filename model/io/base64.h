// base64.h — standard base64 (RFC 4648 §4, with '=' padding), for binary data inside text files:
// the attention patterns of head_patterns.json (analysis/analyze.cpp writes them, the report's
// slider reads them) and the PNG images of the report's data: URIs.
#pragma once

#include <string>
#include <string_view>

namespace induction {

// The base64 text of raw bytes.
std::string base64_encode(std::string_view bytes);

// The bytes of strict base64 text. Throws induction::Error "base64 of N characters (not a
// multiple of 4)" or "not base64: character 'c' at k" (the caller adds which file and field).
std::string base64_decode(std::string_view text);

}  // namespace induction
