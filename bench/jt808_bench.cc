// JT/T 808 codec throughput. Run: build/bench/jt808_bench (see docs/PERFORMANCE.md).
#include <benchmark/benchmark.h>

#include <vector>

#include "protocol/jt808/codec.h"

namespace baotong::jt808 {
namespace {

Header BenchHeader() {
  Header header;
  header.phone = *Phone::FromDigits("013912345678");
  header.serial = 4242;
  return header;
}

// What a truck terminal sends every few seconds: the fixed part and three items.
LocationReport TypicalReport() {
  LocationReport report;
  report.status = status_bit::kAccOn | status_bit::kPositioned | status_bit::kUsingBeidou;
  report.lat_e6 = 41'108'500;
  report.lon_e6 = 122'994'300;
  report.altitude_m = 25;
  report.speed_dkmh = 623;
  report.direction = 87;
  report.time_ms = 1'650'415'800'000;
  report.odometer_hm = 123'456;
  report.signal_strength = 27;
  report.satellites = 14;
  return report;
}

std::vector<uint8_t> Frame(const Header& header, const Message& message) {
  MessageEncoder encoder;
  std::vector<uint8_t> out;
  if (!encoder.Encode(header, message, out))
    std::abort();
  return out;
}

// The gateway's path: unescape + check code + header + typed 0x0200 body, over and over.
void DecodeTyped(benchmark::State& state, const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> scratch(frame.size());
  LocationReport report;
  for (auto _ : state) {
    auto view = ParseEscapedFrame(frame, scratch);
    if (!view || !DecodeLocationReport(view->body, report))
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(frame.size()));
  state.counters["frame_bytes"] = static_cast<double>(frame.size());
}

void BM_Decode0200Typical(benchmark::State& state) {
  DecodeTyped(state, Frame(BenchHeader(), TypicalReport()));
}
BENCHMARK(BM_Decode0200Typical);

// The same frame through the generic decoder that returns a Message variant.
void BM_Decode0200Generic(benchmark::State& state) {
  const auto frame = Frame(BenchHeader(), TypicalReport());
  std::vector<uint8_t> scratch(frame.size());
  for (auto _ : state) {
    auto view = ParseEscapedFrame(frame, scratch);
    if (!view)
      state.SkipWithError("frame failed");
    auto decoded = DecodeMessage(*view);
    if (!decoded)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode0200Generic);

// A frame where nearly every byte needs escaping: the worst case for the unescaper.
void BM_Decode0200FullyEscaped(benchmark::State& state) {
  Header header = BenchHeader();
  header.serial = 0x7e7d;
  LocationReport report = TypicalReport();
  report.alarm = 0x7e7d7e7d;
  report.status = 0x7e7d7e7d & ~(status_bit::kSouthLatitude | status_bit::kWestLongitude);
  report.lat_e6 = 0x7d7e7d7e & 0x3fffffff;
  report.altitude_m = 0x7e7e;
  report.speed_dkmh = 0x7d7d;
  report.odometer_hm = 0x7e7e7e7e;
  report.other_items = {0xe1, 8, 0x7e, 0x7d, 0x7e, 0x7d, 0x7e, 0x7d, 0x7e, 0x7d};
  DecodeTyped(state, Frame(header, report));
}
BENCHMARK(BM_Decode0200FullyEscaped);

// A 0x0704 batch of 10 reports; items are frames, so items/s counts batches.
void BM_Decode0704Batch10(benchmark::State& state) {
  LocationBatch batch;
  batch.items.assign(10, TypicalReport());
  const auto frame = Frame(BenchHeader(), batch);
  std::vector<uint8_t> scratch(frame.size());
  for (auto _ : state) {
    auto view = ParseEscapedFrame(frame, scratch);
    if (!view)
      state.SkipWithError("frame failed");
    auto decoded = DecodeMessage(*view);
    if (!decoded)
      state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["positions_per_second"] = benchmark::Counter(
      10.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Decode0704Batch10);

// The acknowledgement the gateway sends for every report.
void BM_Encode8001(benchmark::State& state) {
  MessageEncoder encoder;
  Header header = BenchHeader();
  std::vector<uint8_t> out;
  out.reserve(64);
  PlatformGeneralReply reply;
  reply.reply_msg_id = msg_id::kLocationReport;
  for (auto _ : state) {
    out.clear();
    reply.reply_serial = static_cast<uint16_t>(state.iterations());
    if (!encoder.Encode(header, reply, out))
      state.SkipWithError("encode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Encode8001);

// Stream splitting of 1,000 frames arriving in 1,460-byte TCP segments.
void BM_SplitStream(benchmark::State& state) {
  std::vector<uint8_t> stream;
  for (int i = 0; i < 1000; ++i) {
    Header header = BenchHeader();
    header.serial = static_cast<uint16_t>(i);
    auto frame = Frame(header, TypicalReport());
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  for (auto _ : state) {
    FrameSplitter splitter;
    size_t frames = 0;
    for (size_t pos = 0; pos < stream.size(); pos += 1460) {
      ByteSpan chunk = ByteSpan(stream).subspan(pos, std::min<size_t>(1460, stream.size() - pos));
      splitter.Feed(chunk, [&](Result<ByteSpan> frame) { frames += frame.has_value(); });
    }
    if (frames != 1000)
      state.SkipWithError("lost frames");
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_SplitStream);

}  // namespace
}  // namespace baotong::jt808
