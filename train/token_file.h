// token_file.h — a tokenized corpus on disk: raw little-endian token ids, no header.
//
// The element type (uint16 or int32) and the vocabulary size are not stored in the file; they
// come from the corpus description (corpus.json). TokenFile memory-maps the file read-only and
// checks on open that its size is a whole number of tokens and that every token is < vocab_size.
// write_token_file writes one atomically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace induction {

enum class TokenType { UINT16, INT32 };

const char* token_type_name(TokenType type);        // "uint16" | "int32"
TokenType parse_token_type(std::string_view name);  // throws on anything else
int64_t token_type_bytes(TokenType type);           // 2 | 4
TokenType smallest_token_type(int64_t vocab_size);  // uint16 when every id fits

class TokenFile {
public:
    // Maps path and validates it; errors name the file, what was found and what was expected.
    static TokenFile open(const std::string& path, TokenType type, int64_t vocab_size);

    TokenFile(TokenFile&& other) noexcept;
    TokenFile& operator=(TokenFile&& other) noexcept;
    TokenFile(const TokenFile&) = delete;
    TokenFile& operator=(const TokenFile&) = delete;
    ~TokenFile();

    int64_t size() const { return size_; }  // number of tokens
    TokenType type() const { return type_; }
    int64_t vocab_size() const { return vocab_size_; }
    const std::string& path() const { return path_; }

    // Token i (unchecked, like a vector's operator[]).
    int32_t operator[](int64_t i) const {
        return type_ == TokenType::UINT16 ? static_cast<const uint16_t*>(data_)[i]
                                          : static_cast<const int32_t*>(data_)[i];
    }
    // Copies tokens [start, start + count) into out as int32; throws when the range is outside the file.
    void copy(int64_t start, int64_t count, int32_t* out) const;

private:
    TokenFile() = default;
    void unmap();

    std::string path_;
    TokenType type_ = TokenType::INT32;
    int64_t vocab_size_ = 0;
    int64_t size_ = 0;
    const void* data_ = nullptr;  // the mapping (null for an empty file)
    size_t mapped_bytes_ = 0;
};

// Writes tokens as raw little-endian values of the given type, atomically. Throws when a token
// is outside [0, vocab_size) or vocab_size does not fit the type.
void write_token_file(const std::string& path, const std::vector<int32_t>& tokens, TokenType type,
                      int64_t vocab_size);

}  // namespace induction
