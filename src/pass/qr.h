// QR codes of pass tokens (libqrencode), drawn as SVG or PNG (libpng). Byte mode, error
// correction level M, the smallest version that holds the text; a quiet zone of 4 modules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace baotong::pass {

inline constexpr int kQrQuietZone = 4;

struct QrMatrix {
  int version = 0;
  int size = 0;               // modules per side, without the quiet zone (17 + 4 * version)
  std::vector<uint8_t> dark;  // size * size, row by row; 1 = dark module
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y * size + x)] != 0; }
};

// kTooLong when the text does not fit a version-40 symbol.
Result<QrMatrix> EncodeQr(std::string_view text);

// <svg> with a viewBox of (size + 8) modules, one white <rect> and one black <path> of
// horizontal runs; scales crisply to any size. `module_px` sets width and height.
Result<std::string> QrSvg(std::string_view text, int module_px = 8);

// 8-bit greyscale PNG, `module_px` pixels per module (1-32), quiet zone included.
Result<std::vector<uint8_t>> QrPng(std::string_view text, int module_px = 8);

}  // namespace baotong::pass
