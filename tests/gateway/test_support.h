// A blocking JT/T 808 client and an in-memory store for the gateway's integration tests.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "protocol/jt808/codec.h"
#include "store/position_store.h"

namespace baotong::gateway::testing {

namespace asio = boost::asio;

// Talks to the gateway over real TCP on 127.0.0.1, one frame at a time.
class TestTerminal {
 public:
  TestTerminal(uint16_t port, std::string phone, jt808::Version version = jt808::Version::k2013)
      : socket_(context_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    header_.version = version;
    header_.phone = *jt808::Phone::FromDigits(phone);
  }

  uint16_t Send(const jt808::Message& message) {
    header_.serial = next_serial_++;
    SendWithSerial(message, header_.serial);
    return header_.serial;
  }
  void SendWithSerial(const jt808::Message& message, uint16_t serial) {
    header_.serial = serial;
    std::vector<uint8_t> frame;
    auto done = encoder_.Encode(header_, message, frame);
    if (!done)
      throw std::runtime_error(done.error().Message());
    SendRaw(frame);
  }
  // Sends the messages in one write, so that the gateway reads them together; their serials.
  std::vector<uint16_t> SendTogether(const std::vector<jt808::Message>& messages) {
    std::vector<uint8_t> frames;
    std::vector<uint16_t> serials;
    for (const auto& message : messages) {
      header_.serial = next_serial_++;
      serials.push_back(header_.serial);
      auto done = encoder_.Encode(header_, message, frames);
      if (!done)
        throw std::runtime_error(done.error().Message());
    }
    SendRaw(frames);
    return serials;
  }
  void SendRaw(const std::vector<uint8_t>& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The next decoded message, or nullopt if none arrives in time or the server closed.
  std::optional<jt808::DecodedMessage> Receive(
      std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (frames_.empty()) {
      if (!ReadSome(deadline))
        return std::nullopt;
    }
    auto frame = std::move(frames_.front());
    frames_.erase(frames_.begin());
    auto view = jt808::ParseFrame(frame);
    if (!view)
      return std::nullopt;
    auto decoded = jt808::DecodeMessage(*view);
    if (!decoded)
      return std::nullopt;
    return *decoded;
  }

  // True when the server closed the connection within `timeout`.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!ReadSome(deadline) && closed_)
        return true;
    }
    return closed_;
  }

  std::string RegisterAndAuthenticate() {
    jt808::Register request;
    request.maker_id = "BT";
    request.terminal_model = "SIM";
    // One vehicle per terminal: a second terminal with the same plate is refused (result 1).
    const std::string digits(header_.phone.digits());
    request.terminal_id = "T" + digits.substr(digits.size() - 6);
    request.plate_color = 2;
    request.plate = "辽C" + digits.substr(digits.size() - 5);
    Send(request);
    auto reply = Receive();
    if (!reply)
      throw std::runtime_error("no 0x8100");
    auto code = std::get<jt808::RegisterReply>(reply->message).auth_code;
    Send(jt808::Auth{code, {}, {}});
    auto auth = Receive();
    if (!auth)
      throw std::runtime_error("no auth reply");
    if (std::get<jt808::PlatformGeneralReply>(auth->message).result != 0) {
      throw std::runtime_error("auth refused");
    }
    return code;
  }

  const jt808::Header& header() const { return header_; }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    uint8_t buffer[4096];
    socket_.non_blocking(true);
    while (std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      size_t size = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      if (ec || size == 0) {
        closed_ = true;
        return false;
      }
      splitter_.Feed(ByteSpan(buffer, size), [&](Result<ByteSpan> frame) {
        if (frame)
          frames_.emplace_back(frame->begin(), frame->end());
      });
      return true;
    }
    return false;
  }

  asio::io_context context_;
  asio::ip::tcp::socket socket_;
  jt808::Header header_;
  jt808::MessageEncoder encoder_;
  jt808::FrameSplitter splitter_;
  std::vector<std::vector<uint8_t>> frames_;
  uint16_t next_serial_ = 1;
  bool closed_ = false;
};

// The 0x8001 result for a 0x0102 with `code`, or -1 when the connection gave no answer.
inline int AuthResult(TestTerminal& terminal, const std::string& code) {
  terminal.Send(jt808::Auth{code, {}, {}});
  auto reply = terminal.Receive(std::chrono::seconds(2));
  if (!reply)
    return -1;
  return std::get<jt808::PlatformGeneralReply>(reply->message).result;
}

// A thread-safe store in memory, with dedup on (terminal, serial, device time) like the real
// one, and a gate that holds Append back so tests can see what happens before durability.
class MemoryStore : public store::PositionStore, public store::TerminalStore {
 public:
  Result<size_t> Append(std::span<const model::Position> batch) override {
    std::unique_lock lock(mutex_);
    gate_.wait(lock, [&] { return open_; });
    size_t added = 0;
    for (const auto& position : batch) {
      auto key = std::make_tuple(position.terminal, position.serial, position.device_time_ms);
      if (keys_.emplace(key, positions_.size()).second) {
        positions_.push_back(position);
        auto [newest, inserted] = latest_.emplace(position.terminal, position);
        if (!inserted && newest->second.device_time_ms <= position.device_time_ms)
          newest->second = position;
        ++added;
      }
    }
    ++appends_;
    return added;
  }
  Result<std::vector<model::Position>> Track(std::string_view terminal, int64_t from_ms,
                                             int64_t to_ms, size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<model::Position> track;
    for (const auto& p : positions_) {
      if (p.terminal == terminal && p.device_time_ms >= from_ms && p.device_time_ms < to_ms &&
          track.size() < limit) {
        track.push_back(p);
      }
    }
    std::stable_sort(track.begin(), track.end(), [](const auto& a, const auto& b) {
      return a.device_time_ms < b.device_time_ms;
    });  // the interface's order
    return track;
  }
  // Every terminal with a report near the window, for the whole window (a superset, as allowed).
  Result<std::vector<store::NearTerminal>> TerminalsNear(const store::BoxE6&, int64_t from_ms,
                                                         int64_t to_ms) override {
    std::lock_guard lock(mutex_);
    std::set<std::string> terminals;
    for (const auto& p : positions_) {
      if (p.device_time_ms >= from_ms - store::kPathMaxGapMs &&
          p.device_time_ms <= to_ms + store::kPathMaxGapMs)
        terminals.insert(p.terminal);
    }
    std::vector<store::NearTerminal> near;
    for (const auto& terminal : terminals)
      near.push_back({terminal, from_ms, to_ms});
    return near;
  }
  // Newest position per terminal by device time, ordered by terminal, as the real store.
  Result<std::vector<model::Position>> Latest(size_t offset, size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<model::Position> page;
    for (auto it = latest_.begin(); it != latest_.end() && page.size() < limit; ++it) {
      if (offset > 0) {
        --offset;
        continue;
      }
      page.push_back(it->second);
    }
    return page;
  }
  Result<size_t> LatestCount() override {
    std::lock_guard lock(mutex_);
    return latest_.size();
  }
  Result<uint64_t> Count() override {
    std::lock_guard lock(mutex_);
    return positions_.size();
  }
  Result<bool> Contains(const model::PositionKey& key) override {
    std::lock_guard lock(mutex_);
    return keys_.contains(std::make_tuple(key.terminal, key.serial, key.device_time_ms));
  }
  Result<std::optional<store::TerminalRecord>> Find(std::string_view terminal) override {
    std::unique_lock lock(mutex_);
    lookup_gate_.wait(lock, [&] { return lookups_open_; });
    auto it = terminals_.find(std::string(terminal));
    if (it == terminals_.end())
      return std::optional<store::TerminalRecord>{};
    return std::optional<store::TerminalRecord>{it->second};
  }
  Result<std::vector<store::TerminalRecord>> FindByPlate(std::string_view plate) override {
    std::lock_guard lock(mutex_);
    std::vector<store::TerminalRecord> found;
    for (const auto& [terminal, record] : terminals_) {
      if (record.plate == plate)
        found.push_back(record);
    }
    return found;
  }
  Result<void> Upsert(const store::TerminalRecord& record) override {
    std::lock_guard lock(mutex_);
    if (fail_terminal_writes_)
      return tl::unexpected(Error{ErrorCode::kStorage, "terminal writes fail (test)"});
    terminals_[record.terminal] = record;
    return {};
  }

  // Holds terminal lookups back, so that tests can queue several registry jobs into one batch.
  void HoldLookups() {
    std::lock_guard lock(mutex_);
    lookups_open_ = false;
  }
  void ReleaseLookups() {
    {
      std::lock_guard lock(mutex_);
      lookups_open_ = true;
    }
    lookup_gate_.notify_all();
  }
  void FailTerminalWrites(bool fail) {
    std::lock_guard lock(mutex_);
    fail_terminal_writes_ = fail;
  }

  void CloseGate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void OpenGate() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    gate_.notify_all();
  }
  std::vector<model::Position> positions() {
    std::lock_guard lock(mutex_);
    return positions_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable gate_;
  bool open_ = true;
  std::condition_variable lookup_gate_;
  bool lookups_open_ = true;
  bool fail_terminal_writes_ = false;
  std::vector<model::Position> positions_;
  std::map<std::tuple<std::string, uint16_t, int64_t>, size_t> keys_;
  std::map<std::string, store::TerminalRecord> terminals_;
  std::map<std::string, model::Position> latest_;
  size_t appends_ = 0;
};

}  // namespace baotong::gateway::testing
