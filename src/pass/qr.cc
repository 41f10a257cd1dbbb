#include "pass/qr.h"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace baotong::pass {
namespace {

struct QrcodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};
using QrcodePtr = std::unique_ptr<QRcode, QrcodeDeleter>;

// libpng's simplified API keeps its state in `opaque`; this frees it on every path.
struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
};

}  // namespace

Result<QrMatrix> EncodeQr(std::string_view text) {
  if (text.empty())
    return Fail(ErrorCode::kBadValue, "qr: nothing to encode");
  errno = 0;
  QrcodePtr code(QRcode_encodeData(static_cast<int>(text.size()),
                                   reinterpret_cast<const unsigned char*>(text.data()), 0,
                                   QR_ECLEVEL_M));
  if (!code) {
    if (errno == ERANGE)
      return Fail(ErrorCode::kTooLong, "qr: text too long for a QR code");
    return Fail(ErrorCode::kResourceLimit, "qr: libqrencode failed");
  }
  QrMatrix matrix;
  matrix.version = code->version;
  matrix.size = code->width;
  const size_t cells = static_cast<size_t>(code->width) * static_cast<size_t>(code->width);
  matrix.dark.resize(cells);
  for (size_t i = 0; i < cells; ++i)
    matrix.dark[i] = code->data[i] & 1;  // bit 0: dark; the others are libqrencode's bookkeeping
  return matrix;
}

Result<std::string> QrSvg(std::string_view text, int module_px) {
  if (module_px < 1 || module_px > 32)
    return Fail(ErrorCode::kBadValue, "qr: module size must be 1 to 32 pixels");
  auto matrix = EncodeQr(text);
  if (!matrix)
    return tl::unexpected(matrix.error());
  const int side = matrix->size + 2 * kQrQuietZone;
  const std::string side_text = std::to_string(side);
  const std::string pixels = std::to_string(side * module_px);
  std::string svg;
  svg.reserve(static_cast<size_t>(matrix->size * matrix->size) * 6 + 400);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 " + side_text +
         " " + side_text + "\" width=\"" + pixels + "\" height=\"" + pixels +
         "\" shape-rendering=\"crispEdges\" data-modules=\"" + std::to_string(matrix->size) +
         "\" data-version=\"" + std::to_string(matrix->version) + "\">";
  svg += "<rect width=\"" + side_text + "\" height=\"" + side_text + "\" fill=\"#fff\"/>";
  svg += "<path fill=\"#000\" d=\"";
  // One subpath per horizontal run of dark modules.
  for (int y = 0; y < matrix->size; ++y) {
    int x = 0;
    while (x < matrix->size) {
      if (!matrix->Dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < matrix->size && matrix->Dark(x + run, y))
        ++run;
      svg += "M" + std::to_string(x + kQrQuietZone) + " " + std::to_string(y + kQrQuietZone) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

Result<std::vector<uint8_t>> QrPng(std::string_view text, int module_px) {
  if (module_px < 1 || module_px > 32)
    return Fail(ErrorCode::kBadValue, "qr: module size must be 1 to 32 pixels");
  auto matrix = EncodeQr(text);
  if (!matrix)
    return tl::unexpected(matrix.error());
  const int side = (matrix->size + 2 * kQrQuietZone) * module_px;
  std::vector<uint8_t> pixels(static_cast<size_t>(side) * static_cast<size_t>(side), 0xff);
  for (int y = 0; y < matrix->size; ++y) {
    for (int x = 0; x < matrix->size; ++x) {
      if (!matrix->Dark(x, y))
        continue;
      for (int dy = 0; dy < module_px; ++dy) {
        size_t row = static_cast<size_t>((y + kQrQuietZone) * module_px + dy);
        size_t column = static_cast<size_t>((x + kQrQuietZone) * module_px);
        std::memset(pixels.data() + row * static_cast<size_t>(side) + column, 0,
                    static_cast<size_t>(module_px));
      }
    }
  }
  PngImage png;
  png.image.width = static_cast<png_uint_32>(side);
  png.image.height = static_cast<png_uint_32>(side);
  png.image.format = PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  // First the size, then the bytes.
  if (!png_image_write_to_memory(&png.image, nullptr, &size, 0, pixels.data(), side, nullptr))
    return Fail(ErrorCode::kResourceLimit, "qr: libpng could not size the image");
  std::vector<uint8_t> bytes(size);
  if (!png_image_write_to_memory(&png.image, bytes.data(), &size, 0, pixels.data(), side, nullptr))
    return Fail(ErrorCode::kResourceLimit, "qr: libpng could not write the image");
  bytes.resize(size);
  return bytes;
}

}  // namespace baotong::pass
