// Reads of personal data that a page repeats are recorded once per user, action and target in a
// window rather than once per request: the live map asks for every position every 2.5 s, and
// the audit log should say who watched what and since when, not grow by 35,000 rows a day for
// each open screen.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace baotong::api {

class RepeatedReads {
 public:
  static constexpr int64_t kWindowMs = int64_t{10} * 60 * 1000;

  // True when this read must be written to the audit log: it opens a new window (none for this
  // user, action and target in the last kWindowMs), or the window's first read has not been
  // written yet (a concurrent read is not served unrecorded on the strength of a write that may
  // still fail). The caller writes it, then calls Confirm, or Forget if the write failed.
  bool OpensWindow(std::string_view user, std::string_view action, std::string_view target,
                   int64_t now_ms);
  void Confirm(std::string_view user, std::string_view action, std::string_view target);
  void Forget(std::string_view user, std::string_view action, std::string_view target);

 private:
  static std::string KeyOf(std::string_view user, std::string_view action, std::string_view target);

  std::mutex mu_;
  struct Window {
    int64_t opened_at_ms = 0;
    bool recorded = false;  // its first read is in the audit log
  };
  std::unordered_map<std::string, Window> windows_;
  int64_t swept_at_ms_ = 0;
};

}  // namespace baotong::api
