#include "gateway/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace baotong::gateway {
namespace {

void Line(std::string& out, const char* name, const std::string& labels, double value) {
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", value);
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += number;
  out += '\n';
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string MsgIdLabel(size_t slot) {
  if (slot >= Metrics::kTrackedMessageIds.size())
    return "msg_id=\"other\"";
  char text[32];
  std::snprintf(text, sizeof text, "msg_id=\"0x%04X\"", Metrics::kTrackedMessageIds[slot]);
  return text;
}

// Resident set size of this process from /proc, for the memory-per-connection figures.
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident))
    return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

size_t Metrics::Slot(uint16_t msg_id) {
  auto it = std::find(kTrackedMessageIds.begin(), kTrackedMessageIds.end(), msg_id);
  return static_cast<size_t>(it - kTrackedMessageIds.begin());
}

void Metrics::Disconnect(const char* reason) {
  size_t slot = kDisconnectReasons.size();
  for (size_t i = 0; i < kDisconnectReasons.size(); ++i) {
    if (std::strcmp(kDisconnectReasons[i], reason) == 0)
      slot = i;
  }
  disconnects_[slot].fetch_add(1, kRelaxed);
}

void Metrics::AckLatency(double milliseconds) {
  size_t bucket = static_cast<size_t>(
      std::lower_bound(kAckBucketsMs.begin(), kAckBucketsMs.end(), milliseconds) -
      kAckBucketsMs.begin());
  ack_buckets_[bucket].fetch_add(1, kRelaxed);
  ack_count_.fetch_add(1, kRelaxed);
  ack_sum_micros_.fetch_add(static_cast<uint64_t>(milliseconds * 1000.0), kRelaxed);
}

std::string Metrics::Render() const {
  std::string out;
  out.reserve(8192);
  auto value = [](const auto& atomic) { return static_cast<double>(atomic.load(kRelaxed)); };

  Header(out, "baotong_sessions", "gauge", "Open terminal connections.");
  Line(out, "baotong_sessions", "", value(sessions_));
  Header(out, "baotong_sessions_authenticated", "gauge", "Connections that passed 0x0102.");
  Line(out, "baotong_sessions_authenticated", "", value(authenticated_));
  Header(out, "baotong_sessions_opened_total", "counter", "Connections accepted.");
  Line(out, "baotong_sessions_opened_total", "", value(sessions_opened_));

  Header(out, "baotong_disconnects_total", "counter", "Connections closed, by reason.");
  for (size_t i = 0; i <= kDisconnectReasons.size(); ++i) {
    std::string reason = i < kDisconnectReasons.size() ? kDisconnectReasons[i] : "other";
    Line(out, "baotong_disconnects_total", "reason=\"" + reason + "\"", value(disconnects_[i]));
  }

  Header(out, "baotong_frames_in_total", "counter", "JT/T 808 frames received, by message id.");
  for (size_t i = 0; i < frames_in_.size(); ++i) {
    Line(out, "baotong_frames_in_total", MsgIdLabel(i), value(frames_in_[i]));
  }
  Header(out, "baotong_frames_out_total", "counter", "JT/T 808 frames sent, by message id.");
  for (size_t i = 0; i < frames_out_.size(); ++i) {
    Line(out, "baotong_frames_out_total", MsgIdLabel(i), value(frames_out_[i]));
  }
  Header(out, "baotong_decode_errors_total", "counter", "Input that did not decode, by kind.");
  for (size_t i = 0; i < decode_errors_.size(); ++i) {
    std::string kind(ToString(static_cast<ErrorCode>(i)));
    Line(out, "baotong_decode_errors_total", "kind=\"" + kind + "\"", value(decode_errors_[i]));
  }

  Header(out, "baotong_positions_received_total", "counter", "Positions decoded from terminals.");
  Line(out, "baotong_positions_received_total", "", value(positions_received_));
  Header(out, "baotong_positions_stored_total", "counter", "Positions made durable (new ones).");
  Line(out, "baotong_positions_stored_total", "", value(positions_stored_));
  Header(out, "baotong_positions_duplicate_total", "counter",
         "Resent positions recognised as already stored.");
  Line(out, "baotong_positions_duplicate_total", "", value(positions_duplicate_));
  Header(out, "baotong_store_queue_depth", "gauge", "Positions waiting for the store writer.");
  Line(out, "baotong_store_queue_depth", "", value(store_queue_depth_));
  Header(out, "baotong_store_commits_total", "counter", "Store transactions committed.");
  Line(out, "baotong_store_commits_total", "", value(store_commits_));
  Header(out, "baotong_store_commit_seconds_total", "counter", "Time spent in store commits.");
  Line(out, "baotong_store_commit_seconds_total", "", value(store_commit_micros_) / 1e6);
  Header(out, "baotong_store_batch_positions_total", "counter", "Positions in committed batches.");
  Line(out, "baotong_store_batch_positions_total", "", value(store_batch_positions_));
  Header(out, "baotong_store_errors_total", "counter", "Failed store commits.");
  Line(out, "baotong_store_errors_total", "", value(store_errors_));
  Header(out, "baotong_read_pauses_total", "counter",
         "Times a connection stopped reading because the store queue was full.");
  Line(out, "baotong_read_pauses_total", "", value(read_pauses_));

  Header(out, "baotong_garbage_bytes_total", "counter",
         "Bytes received outside any JT/T 808 frame, discarded.");
  Line(out, "baotong_garbage_bytes_total", "", value(garbage_bytes_));

  Header(out, "baotong_auth_failures_total", "counter",
         "0x0102 authentications refused (wrong code or unknown terminal).");
  Line(out, "baotong_auth_failures_total", "", value(auth_failures_));
  Header(out, "baotong_auth_lockouts_total", "counter",
         "Terminal phones locked after too many wrong auth codes.");
  Line(out, "baotong_auth_lockouts_total", "", value(auth_lockouts_));
  Header(out, "baotong_registrations_refused_total", "counter",
         "0x0100 refused because the terminal or its vehicle is already registered.");
  Line(out, "baotong_registrations_refused_total", "", value(registrations_refused_));

  Header(out, "baotong_ack_latency_ms", "histogram",
         "From a position's arrival to its 0x8001 acknowledgement, milliseconds.");
  double cumulative = 0;
  for (size_t i = 0; i < ack_buckets_.size(); ++i) {
    cumulative += value(ack_buckets_[i]);
    char bound[32];
    if (i < kAckBucketsMs.size()) {
      std::snprintf(bound, sizeof bound, "le=\"%g\"", kAckBucketsMs[i]);
    } else {
      std::snprintf(bound, sizeof bound, "le=\"+Inf\"");
    }
    Line(out, "baotong_ack_latency_ms_bucket", bound, cumulative);
  }
  Line(out, "baotong_ack_latency_ms_sum", "", value(ack_sum_micros_) / 1000.0);
  Line(out, "baotong_ack_latency_ms_count", "", value(ack_count_));

  Header(out, "process_resident_memory_bytes", "gauge", "Resident memory of the server.");
  Line(out, "process_resident_memory_bytes", "", ResidentBytes());
  return out;
}

}  // namespace baotong::gateway
