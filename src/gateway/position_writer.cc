#include "gateway/position_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace baotong::gateway {

PositionWriter::PositionWriter(store::PositionStore& store, Metrics& metrics, WriterOptions options)
    : store_(store), metrics_(metrics), options_(options), thread_([this] { Run(); }) {}

PositionWriter::~PositionWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool PositionWriter::SubmitOrWait(std::vector<Submission>& submissions,
                                  std::function<void()> on_space) {
  bool all_queued = false;
  std::vector<model::Position> observed;  // copies for on_queued, handed over outside the lock
  {
    std::lock_guard lock(mutex_);
    // Queue what fits, in order; the rest waits with its session (which stops reading).
    size_t room = queue_.size() < options_.max_queued ? options_.max_queued - queue_.size() : 0;
    size_t taken = std::min(room, submissions.size());
    if (options_.on_queued) {
      observed.reserve(taken);
      for (size_t i = 0; i < taken; ++i) {
        // Copied without its extras, which are set aside for the copy and put back.
        model::Position& position = submissions[i].position;
        std::vector<uint8_t> extras = std::move(position.extras);
        position.extras.clear();
        observed.push_back(position);
        position.extras = std::move(extras);
      }
    }
    for (size_t i = 0; i < taken; ++i)
      queue_.push_back(std::move(submissions[i]));
    submissions.erase(submissions.begin(), submissions.begin() + static_cast<ptrdiff_t>(taken));
    all_queued = submissions.empty();
    if (!all_queued)
      space_waiters_.push_back(std::move(on_space));
    metrics_.StoreQueueDepth(static_cast<int64_t>(queue_.size()));
  }
  wake_.notify_one();
  if (!observed.empty())
    options_.on_queued(observed);
  return all_queued;
}

size_t PositionWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void PositionWriter::Run() {
  std::vector<Submission> batch;
  std::vector<std::function<void()>> waiters;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;  // stopping, and everything queued is committed
      size_t take = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(take));
      metrics_.StoreQueueDepth(static_cast<int64_t>(queue_.size()));
      if (queue_.size() + options_.max_batch <= options_.max_queued)
        waiters.swap(space_waiters_);
    }
    for (auto& waiter : waiters)
      waiter();
    waiters.clear();
    Commit(batch);
    batch.clear();
  }
}

void PositionWriter::Commit(std::vector<Submission>& batch) {
  positions_.clear();
  positions_.reserve(batch.size());
  for (Submission& submission : batch)
    positions_.push_back(std::move(submission.position));

  auto started = std::chrono::steady_clock::now();
  auto stored = store_.Append(positions_);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (stored) {
    metrics_.StoreCommit(seconds, batch.size());
    metrics_.PositionsStored(*stored);
    metrics_.PositionsDuplicate(batch.size() - *stored);
  } else {
    // Nothing is acknowledged, so nothing is lost: the terminals resend.
    metrics_.StoreError();
    spdlog::error("store append of {} positions failed: {}", batch.size(),
                  stored.error().Message());
  }

  // One call per run of consecutive entries from the same session.
  std::vector<Completion> completions;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].completion)
      completions.push_back(*batch[i].completion);
    bool run_ends = i + 1 == batch.size() || batch[i + 1].listener != batch[i].listener;
    if (run_ends && !completions.empty()) {
      batch[i].listener->OnDurable(std::move(completions), stored.has_value());
      completions = {};
    }
  }
}

}  // namespace baotong::gateway
