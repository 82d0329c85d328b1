// png.h — an encoder of 8-bit palette PNG images (ISO/IEC 15948), the raster behind the report's
// heatmaps (svg.h draws them as <image> elements with a data: URI).
//
// The image data is a zlib stream of "stored" (uncompressed) deflate blocks: no compression
// library is needed, and a heatmap of at most the plot's pixels stays small enough.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace induction::png {

// The PNG file of a width x height image of palette indices. pixels: [height * width], row by
// row from the top; palette_rgb: 3 bytes (red, green, blue) per palette entry, from index 0, at
// most 256 entries. Index 0 is transparent; every other entry is opaque.
std::string palette_image(int width, int height, const std::vector<uint8_t>& pixels, std::string_view palette_rgb);

}  // namespace induction::png
