// png.cpp — the palette PNG encoder of png.h: signature, IHDR, PLTE, tRNS, IDAT (a zlib stream
// of stored deflate blocks), IEND. Each chunk ends with the CRC-32 of its type and data.
#include "analysis/report/png.h"

#include <algorithm>
#include <array>

namespace induction::png {

namespace {

uint32_t crc32(std::string_view bytes) {
    static const std::array<uint32_t, 256> TABLE = [] {
        std::array<uint32_t, 256> table{};
        for (uint32_t n = 0; n < 256; ++n) {
            uint32_t c = n;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }();
    uint32_t c = 0xFFFFFFFFu;
    for (char byte : bytes) c = TABLE[(c ^ static_cast<uint8_t>(byte)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

uint32_t adler32(std::string_view bytes) {
    uint32_t a = 1, b = 0;
    for (char byte : bytes) {
        a = (a + static_cast<uint8_t>(byte)) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

void put_u32_big_endian(std::string& out, uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

void put_chunk(std::string& png, const char* type, std::string_view data) {
    put_u32_big_endian(png, static_cast<uint32_t>(data.size()));
    std::string typed = std::string(type, 4) + std::string(data);
    png += typed;
    put_u32_big_endian(png, crc32(typed));
}

// zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4), at most 65535 bytes each.
std::string zlib_stored(std::string_view raw) {
    std::string out = "\x78\x01";
    size_t offset = 0;
    do {
        size_t length = std::min<size_t>(65535, raw.size() - offset);
        bool final_block = offset + length == raw.size();
        out += static_cast<char>(final_block ? 1 : 0);
        out += static_cast<char>(length & 0xFF);
        out += static_cast<char>(length >> 8);
        out += static_cast<char>(~length & 0xFF);
        out += static_cast<char>((~length >> 8) & 0xFF);
        out.append(raw.substr(offset, length));
        offset += length;
    } while (offset < raw.size());
    put_u32_big_endian(out, adler32(raw));
    return out;
}

}  // namespace

std::string palette_image(int width, int height, const std::vector<uint8_t>& pixels, std::string_view palette_rgb) {
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string header;
    put_u32_big_endian(header, static_cast<uint32_t>(width));
    put_u32_big_endian(header, static_cast<uint32_t>(height));
    header += std::string("\x08\x03\x00\x00\x00", 5);  // 8-bit palette, no interlace
    put_chunk(png, "IHDR", header);
    put_chunk(png, "PLTE", palette_rgb);
    put_chunk(png, "tRNS", std::string(1, '\0'));  // alpha 0 for index 0; the rest opaque
    std::string scanlines;
    scanlines.reserve(static_cast<size_t>(height) * (width + 1));
    for (int row = 0; row < height; ++row) {
        scanlines += '\0';  // filter type 0 (none)
        const uint8_t* begin = pixels.data() + static_cast<size_t>(row) * width;
        scanlines.append(reinterpret_cast<const char*>(begin), static_cast<size_t>(width));
    }
    put_chunk(png, "IDAT", zlib_stored(scanlines));
    put_chunk(png, "IEND", "");
    return png;
}

}  // namespace induction::png
