// base64.cpp — the encoder and the strict decoder of base64.h.
#include "model/io/base64.h"

#include <cstdint>

#include "tensor/error.h"

namespace induction {

std::string base64_encode(std::string_view bytes) {
    static const char* ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        uint32_t group = static_cast<uint8_t>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) group |= static_cast<uint8_t>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) group |= static_cast<uint8_t>(bytes[i + 2]);
        out += ALPHABET[(group >> 18) & 63];
        out += ALPHABET[(group >> 12) & 63];
        out += i + 1 < bytes.size() ? ALPHABET[(group >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? ALPHABET[group & 63] : '=';
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        return c == '+' ? 62 : c == '/' ? 63 : -1;
    };
    check(text.size() % 4 == 0, "base64 of ", text.size(), " characters (not a multiple of 4)");
    size_t padding = text.size() >= 1 && text.back() == '=' ? (text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1)
                                                            : 0;
    std::string out;
    uint32_t buffer = 0;
    int bits = 0;
    for (size_t k = 0; k < text.size() - padding; ++k) {
        int v = value(text[k]);
        check(v >= 0, "not base64: character '", text[k], "' at ", k);
        buffer = (buffer << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

}  // namespace induction
