// The one thread that makes positions durable: it drains a bounded queue in batches, commits
// each batch in one store transaction (group commit), and only then tells the sessions, which
// acknowledge to their terminals. A full queue makes sessions stop reading (back-pressure)
// instead of growing memory or dropping data.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "gateway/metrics.h"
#include "model/position.h"
#include "store/position_store.h"

namespace baotong::gateway {

// What to acknowledge once a position is durable: the 0x8001 for the message it came in.
struct Completion {
  uint16_t reply_serial = 0;
  uint16_t reply_msg_id = 0;
  int64_t arrival_ns = 0;  // steady clock, for the ack-latency histogram
};

class DurabilityListener {
 public:
  virtual ~DurabilityListener() = default;
  // Called on the writer thread once the batch holding these entries committed (`stored` true)
  // or failed. Implementations hand the work to their own thread and return at once.
  virtual void OnDurable(std::vector<Completion> completions, bool stored) = 0;
};

struct Submission {
  model::Position position;
  std::shared_ptr<DurabilityListener> listener;
  // Set on the last position of a message: a 0x0704 batch is acknowledged once, after all of
  // its positions are durable (the queue is FIFO, so the last one implies the others).
  std::optional<Completion> completion;
};

struct WriterOptions {
  size_t max_batch = 20'000;    // positions per transaction
  size_t max_queued = 200'000;  // positions waiting; beyond this sessions pause reading
  // Called with each position as it enters the queue, on the submitting session's thread and
  // before the position is durable: the rule engine's feed, so that an alarm does not wait for
  // the commit (a terminal resends what was not stored; the engine ignores what it has seen).
  // Each queued position is passed exactly once, as a copy the callee may take (move from),
  // without its `extras` (the rule engine reads none; copying them cost an allocation per
  // position). It may block briefly (back-pressure).
  std::function<void(std::vector<model::Position>& positions)> on_queued;
};

class PositionWriter {
 public:
  PositionWriter(store::PositionStore& store, Metrics& metrics, WriterOptions options = {});
  ~PositionWriter();  // drains what is queued, then stops
  PositionWriter(const PositionWriter&) = delete;
  PositionWriter& operator=(const PositionWriter&) = delete;

  // Moves as many of `submissions` into the queue as fit, in order, and returns true when all
  // did. Otherwise the rest stay in `submissions`, `on_space` will be called (on the writer
  // thread) once room frees up, and it returns false. The queue never holds more than
  // max_queued positions.
  bool SubmitOrWait(std::vector<Submission>& submissions, std::function<void()> on_space);

  size_t queued() const;

 private:
  void Run();
  void Commit(std::vector<Submission>& batch);

  store::PositionStore& store_;
  Metrics& metrics_;
  const WriterOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Submission> queue_;
  std::vector<std::function<void()>> space_waiters_;
  bool stopping_ = false;

  std::vector<model::Position> positions_;  // writer thread only: the batch handed to Append
  std::thread thread_;
};

}  // namespace baotong::gateway
