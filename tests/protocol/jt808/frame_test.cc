#include "protocol/jt808/frame.h"

#include <gtest/gtest.h>

#include "common/hex.h"
#include "protocol/jt808/test_messages.h"

namespace baotong::jt808 {
namespace {

using testing::EncodeFrame;
using testing::TestHeader;
using testing::TypicalReport;

std::vector<uint8_t> Bytes(std::string_view hex) {
  return *ParseHex(hex);
}

struct SplitResult {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<ErrorCode> errors;
};

SplitResult SplitInChunks(FrameSplitter& splitter, const std::vector<uint8_t>& stream,
                          size_t chunk_size) {
  SplitResult result;
  for (size_t pos = 0; pos < stream.size(); pos += chunk_size) {
    ByteSpan chunk = ByteSpan(stream).subspan(pos, std::min(chunk_size, stream.size() - pos));
    splitter.Feed(chunk, [&](Result<ByteSpan> frame) {
      if (frame) {
        result.frames.emplace_back(frame->begin(), frame->end());
      } else {
        result.errors.push_back(frame.error().code);
      }
    });
  }
  return result;
}

// The escaping example of JT/T 808-2013 §4.4.1: 30 7e 08 7d 55 -> 30 7d 02 08 7d 01 55.
TEST(Escape, StandardExample) {
  std::vector<uint8_t> escaped;
  AppendEscaped(Bytes("307e087d55"), escaped);
  EXPECT_EQ(ToHex(escaped), "307d02087d0155");
  std::vector<uint8_t> raw(escaped.size());
  auto size = Unescape(escaped, raw);
  ASSERT_TRUE(size);
  raw.resize(*size);
  EXPECT_EQ(ToHex(raw), "307e087d55");
}

TEST(Escape, RejectsBadEscapeAndBareFlag) {
  std::vector<uint8_t> out(8);
  EXPECT_EQ(Unescape(Bytes("307d0355"), out).error().code, ErrorCode::kBadEscape);
  EXPECT_EQ(Unescape(Bytes("307e55"), out).error().code, ErrorCode::kBadEscape);
}

TEST(Escape, KeepsTrailingBareEscapeAsLiteral) {
  // Some devices send a 0x7d check code unescaped right before the end flag.
  std::vector<uint8_t> out(8);
  auto size = Unescape(Bytes("01027d"), out);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 3u);
  EXPECT_EQ(out[2], 0x7d);
}

TEST(Checksum, IsXorOfAllBytes) {
  EXPECT_EQ(Checksum(Bytes("")), 0);
  EXPECT_EQ(Checksum(Bytes("01020304")), 0x01 ^ 0x02 ^ 0x03 ^ 0x04);
}

TEST(ParseFrame, RejectsBadChecksum) {
  auto frame = EncodeFrame(TestHeader(), Heartbeat{});
  frame[frame.size() - 2] ^= 0x01;  // the check code, just before the end flag
  std::vector<uint8_t> scratch(frame.size());
  auto parsed = ParseEscapedFrame(frame, scratch);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kBadChecksum);
  // A tool can still read it when asked to.
  EXPECT_TRUE(ParseEscapedFrame(frame, scratch, FrameOptions{.verify_checksum = false}));
}

TEST(ParseFrame, RejectsLengthMismatchAndTruncation) {
  auto frame = EncodeFrame(TestHeader(), TypicalReport());
  std::vector<uint8_t> scratch(frame.size());
  // Drop one body byte: the header's length no longer matches.
  std::vector<uint8_t> shorter(frame.begin(), frame.end());
  shorter.erase(shorter.begin() + 20);
  EXPECT_EQ(ParseEscapedFrame(shorter, scratch).error().code, ErrorCode::kLengthMismatch);
  // Only part of the header.
  std::vector<uint8_t> stub(frame.begin(), frame.begin() + 6);
  EXPECT_EQ(ParseEscapedFrame(stub, scratch).error().code, ErrorCode::kTruncated);
}

TEST(FrameSplitter, HandlesEveryChunkSize) {
  std::vector<uint8_t> stream;
  std::vector<std::vector<uint8_t>> expected;
  for (uint16_t serial = 0x7d7d; serial < 0x7d7d + 5; ++serial) {
    auto frame = EncodeFrame(TestHeader(serial), TypicalReport());  // serials need escaping
    stream.insert(stream.end(), frame.begin(), frame.end());
    std::vector<uint8_t> unescaped(frame.size());
    auto size = Unescape(ByteSpan(frame).subspan(1, frame.size() - 2), unescaped);
    unescaped.resize(*size);
    expected.push_back(unescaped);
  }
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    FrameSplitter splitter;
    auto result = SplitInChunks(splitter, stream, chunk);
    EXPECT_EQ(result.frames, expected) << "chunk size " << chunk;
    EXPECT_TRUE(result.errors.empty());
    EXPECT_EQ(splitter.discarded_bytes(), 0u);
  }
}

TEST(FrameSplitter, SkipsGarbageBeforeAndBetweenFrames) {
  auto frame = EncodeFrame(TestHeader(7), Heartbeat{});
  std::vector<uint8_t> stream = Bytes("474554202f20485454502f312e310d0a");  // "GET / HTTP/1.1"
  stream.insert(stream.end(), frame.begin(), frame.end());
  auto junk = Bytes("00ff1234");
  stream.insert(stream.end(), junk.begin(), junk.end());
  stream.insert(stream.end(), frame.begin(), frame.end());

  FrameSplitter splitter;
  auto result = SplitInChunks(splitter, stream, 3);
  EXPECT_EQ(splitter.discarded_bytes(), 16u);
  // The junk after the first end flag comes out as a candidate frame that does not parse;
  // both real frames come out whole.
  ASSERT_EQ(result.frames.size(), 3u);
  EXPECT_TRUE(ParseFrame(result.frames[0]));
  EXPECT_FALSE(ParseFrame(result.frames[1]));
  EXPECT_TRUE(ParseFrame(result.frames[2]));
}

TEST(FrameSplitter, AcceptsOneFlagSharedBetweenFrames) {
  auto frame = EncodeFrame(TestHeader(1), Heartbeat{});
  std::vector<uint8_t> stream(frame.begin(), frame.end());
  stream.insert(stream.end(), frame.begin() + 1, frame.end());  // no second start flag
  FrameSplitter splitter;
  auto result = SplitInChunks(splitter, stream, stream.size());
  ASSERT_EQ(result.frames.size(), 2u);
  EXPECT_TRUE(ParseFrame(result.frames[1]));
}

TEST(FrameSplitter, ReportsOverlongFrameOnceAndRecovers) {
  FrameSplitter splitter(/*max_frame_size=*/64);
  std::vector<uint8_t> stream(201, 0x11);
  stream[0] = kFlag;
  auto frame = EncodeFrame(TestHeader(2), Heartbeat{});
  stream.insert(stream.end(), frame.begin(), frame.end());
  auto result = SplitInChunks(splitter, stream, 10);
  EXPECT_EQ(result.errors, std::vector<ErrorCode>{ErrorCode::kFrameTooLong});
  ASSERT_FALSE(result.frames.empty());
  EXPECT_TRUE(ParseFrame(result.frames.back()));
  EXPECT_LE(splitter.pending_bytes(), 64u);
}

TEST(FrameSplitter, ReportsBadEscapeAndRecovers) {
  auto frame = EncodeFrame(TestHeader(3), Heartbeat{});
  std::vector<uint8_t> stream = Bytes("7e01027d0304");
  stream.insert(stream.end(), frame.begin(), frame.end());
  FrameSplitter splitter;
  auto result = SplitInChunks(splitter, stream, 1);
  EXPECT_EQ(result.errors, std::vector<ErrorCode>{ErrorCode::kBadEscape});
  ASSERT_FALSE(result.frames.empty());
  EXPECT_TRUE(ParseFrame(result.frames.back()));
}

TEST(FrameSplitter, KeepsBareEscapeBeforeEndFlag) {
  // go-jt808 accepts a heartbeat whose 0x7d check code arrives unescaped.
  // Header 0002 0000 0123456789 01 serial 007c: XOR works out to 0x7d.
  std::vector<uint8_t> raw = Bytes("000200000123456789010000");
  uint8_t check = Checksum(raw);
  raw[11] ^= static_cast<uint8_t>(check ^ 0x7d);  // adjust the serial so the check code is 0x7d
  ASSERT_EQ(Checksum(raw), 0x7d);
  std::vector<uint8_t> stream;
  stream.reserve(32);
  stream.push_back(kFlag);
  AppendEscaped(raw, stream);
  stream.push_back(0x7d);  // bare
  stream.push_back(kFlag);
  FrameSplitter splitter;
  auto result = SplitInChunks(splitter, stream, 1);
  ASSERT_EQ(result.frames.size(), 1u);
  auto parsed = ParseFrame(result.frames[0]);
  ASSERT_TRUE(parsed) << parsed.error().Message();
  EXPECT_EQ(parsed->header.msg_id, msg_id::kHeartbeat);
}

}  // namespace
}  // namespace baotong::jt808
