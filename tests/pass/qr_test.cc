#include "pass/qr.h"

#include <gtest/gtest.h>

#include <regex>

#include "pass/signing.h"

namespace baotong::pass {
namespace {

// A real token of the size the platform issues (~250-300 characters).
std::string RealisticToken() {
  SigningKey key = SigningKey::Generate();
  return key.Sign(TokenPayload{123456, "辽C12345D", 2, 1'795'000'000'000, 1'795'259'200'000,
                               "R-鞍山绕城货运通道-东段", "trip"});
}

uint32_t BigEndian32(const std::vector<uint8_t>& bytes, size_t at) {
  return (uint32_t{bytes[at]} << 24) | (uint32_t{bytes[at + 1]} << 16) |
         (uint32_t{bytes[at + 2]} << 8) | uint32_t{bytes[at + 3]};
}

TEST(QrTest, VersionIsSaneForAToken) {
  std::string token = RealisticToken();
  ASSERT_GE(token.size(), 200u);
  ASSERT_LE(token.size(), 400u);
  auto matrix = EncodeQr(token);
  ASSERT_TRUE(matrix) << matrix.error().Message();
  // Level M, byte mode: 331 bytes fit version 13. A phone camera reads up to ~v20 easily.
  EXPECT_GE(matrix->version, 8);
  EXPECT_LE(matrix->version, 14);
  EXPECT_EQ(matrix->size, 17 + 4 * matrix->version);
  ASSERT_EQ(matrix->dark.size(), static_cast<size_t>(matrix->size * matrix->size));
  // Finder pattern: the top-left 7x7 has a dark border and a light ring inside it.
  for (int i = 0; i < 7; ++i) {
    EXPECT_TRUE(matrix->Dark(i, 0));
    EXPECT_TRUE(matrix->Dark(0, i));
  }
  EXPECT_FALSE(matrix->Dark(1, 1));
  EXPECT_TRUE(matrix->Dark(3, 3));
  EXPECT_FALSE(matrix->Dark(7, 7));  // separator
}

TEST(QrTest, PngHasTheSignatureAndTheExpectedSize) {
  std::string token = RealisticToken();
  auto matrix = EncodeQr(token);
  ASSERT_TRUE(matrix);
  auto png = QrPng(token, 8);
  ASSERT_TRUE(png) << png.error().Message();
  const std::vector<uint8_t> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  ASSERT_GT(png->size(), 33u);
  EXPECT_TRUE(std::equal(signature.begin(), signature.end(), png->begin()));
  // IHDR: length 13, then width, height, bit depth 8, colour type 0 (grey).
  EXPECT_EQ(std::string(png->begin() + 12, png->begin() + 16), "IHDR");
  const uint32_t side = static_cast<uint32_t>((matrix->size + 2 * kQrQuietZone) * 8);
  EXPECT_EQ(BigEndian32(*png, 16), side);
  EXPECT_EQ(BigEndian32(*png, 20), side);
  EXPECT_EQ((*png)[24], 8);
  EXPECT_EQ((*png)[25], 0);
  EXPECT_EQ(std::string(png->end() - 8, png->end() - 4), "IEND");

  auto small = QrPng(token, 1);
  ASSERT_TRUE(small);
  EXPECT_EQ(BigEndian32(*small, 16), static_cast<uint32_t>(matrix->size + 8));
  EXPECT_FALSE(QrPng(token, 0));
  EXPECT_FALSE(QrPng(token, 33));
}

TEST(QrTest, SvgIsWellFormedAndSizedInModules) {
  std::string token = RealisticToken();
  auto matrix = EncodeQr(token);
  ASSERT_TRUE(matrix);
  auto svg = QrSvg(token);
  ASSERT_TRUE(svg) << svg.error().Message();
  const int side = matrix->size + 2 * kQrQuietZone;
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg->substr(svg->size() - 6), "</svg>");
  std::string view_box = "viewBox=\"0 0 " + std::to_string(side) + " " + std::to_string(side);
  EXPECT_NE(svg->find(view_box), std::string::npos);
  EXPECT_NE(svg->find("data-modules=\"" + std::to_string(matrix->size) + "\""), std::string::npos);
  EXPECT_NE(svg->find("width=\"" + std::to_string(side * 8) + "\""), std::string::npos);
  // Exactly one rect and one path, each closed; nothing but runs in the path data.
  EXPECT_EQ(std::count(svg->begin(), svg->end(), '<'), 4);
  EXPECT_EQ(std::count(svg->begin(), svg->end(), '>'), 4);
  auto data_at = svg->find(" d=\"") + 4;
  std::string data = svg->substr(data_at, svg->find('"', data_at) - data_at);
  EXPECT_TRUE(std::regex_match(data, std::regex("(M\\d+ \\d+h\\d+v1h-\\d+z)+")));
  // The first run starts at the quiet zone (the finder pattern's top-left corner).
  EXPECT_EQ(data.rfind("M4 4h7v1h-7z", 0), 0u);
  // Every dark module is drawn once: the runs' lengths add up to the dark count.
  int dark = static_cast<int>(std::count(matrix->dark.begin(), matrix->dark.end(), 1));
  int drawn = 0;
  std::regex run("h(\\d+)v1");
  for (auto it = std::sregex_iterator(data.begin(), data.end(), run); it != std::sregex_iterator();
       ++it)
    drawn += std::stoi((*it)[1]);
  EXPECT_EQ(drawn, dark);
}

TEST(QrTest, TooLongOrEmptyTextIsAnError) {
  auto empty = EncodeQr("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kBadValue);
  auto huge = QrPng(std::string(4000, 'x'));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kTooLong);
  EXPECT_FALSE(QrSvg(std::string(4000, 'x')));
}

}  // namespace
}  // namespace baotong::pass
