// The demo fleet's checkpoint cameras: a thread that takes the trucks waiting at gates
// (DemoFleet::TakeRequests), posts each plate read to the platform's camera API
// (POST /api/checkpoints/{id}/plate-reads with the checkpoint's key from
// data_dir/checkpoint-keys/{id}.key, as a real camera does) and hands the decision back.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/error.h"
#include "sim/demo_fleet.h"

namespace baotong::sim {

struct GateCameraOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::filesystem::path keys_dir;  // data_dir/checkpoint-keys
};

class GateCameras {
 public:
  // Reads the key of every checkpoint of the fleet's gates (fails naming a missing one) and
  // starts the thread. `fleet` must outlive the cameras.
  static Result<std::unique_ptr<GateCameras>> Start(DemoFleet& fleet, GateCameraOptions options);
  ~GateCameras();  // stops the thread
  GateCameras(const GateCameras&) = delete;
  GateCameras& operator=(const GateCameras&) = delete;

  int64_t reads() const { return reads_; }
  int64_t failures() const { return failures_; }  // retried after a pause

 private:
  GateCameras(DemoFleet& fleet, GateCameraOptions options, std::map<std::string, std::string> keys);
  void Run();
  Result<GateAnswer> Read(const GateRequest& request);

  DemoFleet& fleet_;
  GateCameraOptions options_;
  std::map<std::string, std::string> keys_;  // checkpoint id -> camera key
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> reads_{0};
  std::atomic<int64_t> failures_{0};
  std::thread thread_;
};

}  // namespace baotong::sim
