// token_file.cpp — mmap-backed reader and atomic writer for raw token files.
#include "train/token_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>

#include "model/io/file_io.h"
#include "tensor/error.h"

namespace induction {

static_assert(std::endian::native == std::endian::little,
              "token files are little-endian and are mapped without byte swapping");

const char* token_type_name(TokenType type) { return type == TokenType::UINT16 ? "uint16" : "int32"; }

TokenType parse_token_type(std::string_view name) {
    if (name == "uint16") return TokenType::UINT16;
    if (name == "int32") return TokenType::INT32;
    fail("parse_token_type: unknown token type '", name, "' (expected uint16 or int32)");
}

int64_t token_type_bytes(TokenType type) { return type == TokenType::UINT16 ? 2 : 4; }

namespace {

// Largest vocabulary whose ids all fit in the type.
int64_t max_vocab_size(TokenType type) {
    return type == TokenType::UINT16 ? int64_t{1} << 16 : int64_t{std::numeric_limits<int32_t>::max()} + 1;
}

// Appends the little-endian bytes of every token, stored as T.
template <class T>
void append_tokens(std::string& bytes, const std::vector<int32_t>& tokens) {
    const size_t offset = bytes.size();
    bytes.resize(offset + tokens.size() * sizeof(T));
    for (size_t i = 0; i < tokens.size(); ++i) {
        const T value = static_cast<T>(tokens[i]);
        std::memcpy(bytes.data() + offset + i * sizeof(T), &value, sizeof(T));
    }
}

}  // namespace

TokenType smallest_token_type(int64_t vocab_size) {
    return vocab_size <= max_vocab_size(TokenType::UINT16) ? TokenType::UINT16 : TokenType::INT32;
}

TokenFile TokenFile::open(const std::string& path, TokenType type, int64_t vocab_size) {
    check(vocab_size > 0 && vocab_size <= max_vocab_size(type), "TokenFile::open: ", path, ": vocab_size ",
          vocab_size, " does not fit token type ", token_type_name(type));
    TokenFile file;
    file.path_ = path;
    file.type_ = type;
    file.vocab_size_ = vocab_size;

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("TokenFile::open: cannot open '", path, "': ", std::strerror(errno));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error = errno;
        ::close(fd);
        fail("TokenFile::open: cannot stat '", path, "': ", std::strerror(error));
    }
    const int64_t bytes = info.st_size;
    const int64_t token_bytes = token_type_bytes(type);
    if (bytes % token_bytes != 0) {
        ::close(fd);
        fail("TokenFile::open: ", path, ": size ", bytes, " bytes is not a whole number of tokens",
             " (expected a multiple of ", token_bytes, " for ", token_type_name(type), ")");
    }
    if (bytes > 0) {
        void* mapping = ::mmap(nullptr, static_cast<size_t>(bytes), PROT_READ, MAP_PRIVATE, fd, 0);
        const int error = errno;
        ::close(fd);
        if (mapping == MAP_FAILED) fail("TokenFile::open: cannot mmap '", path, "': ", std::strerror(error));
        file.data_ = mapping;
        file.mapped_bytes_ = static_cast<size_t>(bytes);
    } else {
        ::close(fd);
    }
    file.size_ = bytes / token_bytes;

    for (int64_t i = 0; i < file.size_; ++i) {
        const int32_t token = file[i];
        if (token < 0 || token >= vocab_size)
            fail("TokenFile::open: ", path, ": token ", i, " is ", token, " (expected 0 <= token < vocab_size ",
                 vocab_size, ")");
    }
    return file;
}

TokenFile::TokenFile(TokenFile&& other) noexcept { *this = std::move(other); }

TokenFile& TokenFile::operator=(TokenFile&& other) noexcept {
    if (this != &other) {
        unmap();
        path_ = std::move(other.path_);
        type_ = other.type_;
        vocab_size_ = other.vocab_size_;
        size_ = other.size_;
        data_ = other.data_;
        mapped_bytes_ = other.mapped_bytes_;
        other.data_ = nullptr;
        other.mapped_bytes_ = 0;
        other.size_ = 0;
    }
    return *this;
}

TokenFile::~TokenFile() { unmap(); }

void TokenFile::unmap() {
    if (data_ != nullptr) ::munmap(const_cast<void*>(data_), mapped_bytes_);
    data_ = nullptr;
    mapped_bytes_ = 0;
}

void TokenFile::copy(int64_t start, int64_t count, int32_t* out) const {
    check(start >= 0 && count >= 0 && start + count <= size_, "TokenFile::copy: ", path_, ": range [", start, ", ",
          start + count, ") is outside the file (expected within [0, ", size_, "))");
    for (int64_t i = 0; i < count; ++i) out[i] = (*this)[start + i];
}

void write_token_file(const std::string& path, const std::vector<int32_t>& tokens, TokenType type,
                      int64_t vocab_size) {
    check(vocab_size > 0 && vocab_size <= max_vocab_size(type), "write_token_file: ", path, ": vocab_size ",
          vocab_size, " does not fit token type ", token_type_name(type));
    for (size_t i = 0; i < tokens.size(); ++i)
        check(tokens[i] >= 0 && tokens[i] < vocab_size, "write_token_file: ", path, ": token ", i, " is ",
              tokens[i], " (expected 0 <= token < vocab_size ", vocab_size, ")");
    std::string bytes;
    if (type == TokenType::UINT16) append_tokens<uint16_t>(bytes, tokens);
    else append_tokens<int32_t>(bytes, tokens);
    write_file_atomic(path, bytes);
}

}  // namespace induction
