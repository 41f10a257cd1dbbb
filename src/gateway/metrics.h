// Counters and gauges of the gateway, exported in Prometheus text format on /metrics.
// Everything is a relaxed atomic: metrics are written from io threads and the writer thread
// and read by the HTTP handler; no ordering between them is needed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "common/error.h"

namespace baotong::gateway {

class Metrics {
 public:
  // Message ids with their own label; the rest count under "other".
  static constexpr std::array<uint16_t, 16> kTrackedMessageIds = {
      0x0001, 0x0002, 0x0003, 0x0100, 0x0102, 0x0104, 0x0200, 0x0201,
      0x0704, 0x0800, 0x0801, 0x8001, 0x8003, 0x8100, 0x8201, 0x8300};
  // Upper bounds of the acknowledgement latency buckets, in milliseconds.
  static constexpr std::array<double, 15> kAckBucketsMs = {1,  2,   5,   10,  20,   30,   40,  50,
                                                           75, 100, 200, 500, 1000, 2000, 5000};

  void FrameIn(uint16_t msg_id) { frames_in_[Slot(msg_id)].fetch_add(1, kRelaxed); }
  void FrameOut(uint16_t msg_id) { frames_out_[Slot(msg_id)].fetch_add(1, kRelaxed); }
  void DecodeError(ErrorCode code) {
    decode_errors_[static_cast<size_t>(code)].fetch_add(1, kRelaxed);
  }
  void SessionOpened() {
    sessions_.fetch_add(1, kRelaxed);
    sessions_opened_.fetch_add(1, kRelaxed);
  }
  void SessionClosed() { sessions_.fetch_sub(1, kRelaxed); }
  void Authenticated() { authenticated_.fetch_add(1, kRelaxed); }
  void Deauthenticated() { authenticated_.fetch_sub(1, kRelaxed); }
  // Why a connection was cut: "idle", "auth_timeout", "bad_input", "logout", "replaced" (the
  // terminal connected again), "peer_closed", "shutdown".
  void Disconnect(const char* reason);
  void PositionsReceived(uint64_t count) { positions_received_.fetch_add(count, kRelaxed); }
  void PositionsStored(uint64_t count) { positions_stored_.fetch_add(count, kRelaxed); }
  void PositionsDuplicate(uint64_t count) { positions_duplicate_.fetch_add(count, kRelaxed); }
  void StoreQueueDepth(int64_t depth) { store_queue_depth_.store(depth, kRelaxed); }
  void StoreCommit(double seconds, size_t batch) {
    store_commits_.fetch_add(1, kRelaxed);
    store_commit_micros_.fetch_add(static_cast<uint64_t>(seconds * 1e6), kRelaxed);
    store_batch_positions_.fetch_add(batch, kRelaxed);
  }
  void StoreError() { store_errors_.fetch_add(1, kRelaxed); }
  void AckLatency(double milliseconds);
  void ReadPaused() { read_pauses_.fetch_add(1, kRelaxed); }
  void GarbageBytes(uint64_t count) { garbage_bytes_.fetch_add(count, kRelaxed); }
  void AuthFailed() { auth_failures_.fetch_add(1, kRelaxed); }
  void AuthLockout() { auth_lockouts_.fetch_add(1, kRelaxed); }
  void RegistrationRefused() { registrations_refused_.fetch_add(1, kRelaxed); }

  int64_t sessions() const { return sessions_.load(kRelaxed); }
  uint64_t positions_stored() const { return positions_stored_.load(kRelaxed); }

  // Prometheus text exposition format 0.0.4.
  std::string Render() const;

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;
  static constexpr size_t kErrorCodes = static_cast<size_t>(ErrorCode::kResourceLimit) + 1;
  static constexpr std::array<const char*, 9> kDisconnectReasons = {
      "idle",        "auth_timeout", "bad_input",   "logout",         "replaced",
      "peer_closed", "shutdown",     "auth_failed", "auth_locked_out"};

  static size_t Slot(uint16_t msg_id);

  std::array<std::atomic<uint64_t>, kTrackedMessageIds.size() + 1> frames_in_{};
  std::array<std::atomic<uint64_t>, kTrackedMessageIds.size() + 1> frames_out_{};
  std::array<std::atomic<uint64_t>, kErrorCodes> decode_errors_{};
  std::array<std::atomic<uint64_t>, kDisconnectReasons.size() + 1> disconnects_{};
  std::array<std::atomic<uint64_t>, kAckBucketsMs.size() + 1> ack_buckets_{};
  std::atomic<uint64_t> ack_count_{0};
  std::atomic<uint64_t> ack_sum_micros_{0};
  std::atomic<int64_t> sessions_{0};
  std::atomic<uint64_t> sessions_opened_{0};
  std::atomic<int64_t> authenticated_{0};
  std::atomic<uint64_t> positions_received_{0};
  std::atomic<uint64_t> positions_stored_{0};
  std::atomic<uint64_t> positions_duplicate_{0};
  std::atomic<int64_t> store_queue_depth_{0};
  std::atomic<uint64_t> store_commits_{0};
  std::atomic<uint64_t> store_commit_micros_{0};
  std::atomic<uint64_t> store_batch_positions_{0};
  std::atomic<uint64_t> store_errors_{0};
  std::atomic<uint64_t> read_pauses_{0};
  std::atomic<uint64_t> garbage_bytes_{0};
  std::atomic<uint64_t> auth_failures_{0};
  std::atomic<uint64_t> auth_lockouts_{0};
  std::atomic<uint64_t> registrations_refused_{0};
};

}  // namespace baotong::gateway
