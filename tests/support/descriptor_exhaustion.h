// Drives a listener out of file descriptors, for the tests of its accept loop's backoff
// (tests/api/http_server_test.cc, tests/gateway/connection_limits_test.cc): this process's
// descriptor limit is lowered to what it has open plus a few, and a child process holds more
// connections to the listener than that leaves, so the rest wait in the listen backlog where
// every accept() fails with EMFILE.
#pragma once

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>

namespace baotong::testing {

// Under the sanitizers (the ASan+UBSan unit pass builds with both) these tests cannot run:
// UBSan checks each polymorphic type the first time it meets it by writing its vtable into a
// pipe, and with no descriptors left that fails and is reported as "invalid vptr" (an error
// code's category, spdlog's logger, a shared_ptr's control block: whatever the listener touches
// first). They run in the Release pass.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizersNeedDescriptors = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
inline constexpr bool kSanitizersNeedDescriptors = true;
#else
inline constexpr bool kSanitizersNeedDescriptors = false;
#endif
#else
inline constexpr bool kSanitizersNeedDescriptors = false;
#endif

// User and system CPU this process has used.
inline double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

inline size_t OpenDescriptors() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

class DescriptorExhaustion {
 public:
  // Returns once the child holds its connections; throws when it cannot be set up.
  explicit DescriptorExhaustion(uint16_t port, int connections = 100, size_t spare = 16) {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0)
      throw std::runtime_error("getrlimit failed");
    int ready[2];
    if (::pipe(ready) != 0 || ::pipe(release_) != 0)
      throw std::runtime_error("pipe failed");
    rlimit low = saved_;
    low.rlim_cur = OpenDescriptors() + spare;
    if (setrlimit(RLIMIT_NOFILE, &low) != 0)
      throw std::runtime_error("setrlimit failed");
    child_ = ::fork();
    if (child_ < 0)
      throw std::runtime_error("fork failed");
    if (child_ == 0) {
      ::close(release_[1]);  // else the read below never sees the parent let go
      ::close(ready[0]);
      setrlimit(RLIMIT_NOFILE, &saved_);
      for (int i = 0; i < connections; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
      }
      char byte = 1;
      (void)!::write(ready[1], &byte, 1);
      (void)!::read(release_[0], &byte, 1);  // until the parent closes its end
      ::_exit(0);
    }
    ::close(release_[0]);
    ::close(ready[1]);
    char byte = 0;
    const bool connected = ::read(ready[0], &byte, 1) == 1;
    ::close(ready[0]);
    if (!connected) {
      ReleaseConnections();
      setrlimit(RLIMIT_NOFILE, &saved_);
      throw std::runtime_error("the child process did not connect");
    }
  }
  DescriptorExhaustion(const DescriptorExhaustion&) = delete;
  DescriptorExhaustion& operator=(const DescriptorExhaustion&) = delete;

  // Restores the descriptor limit (and lets go of the connections if still held).
  ~DescriptorExhaustion() {
    ReleaseConnections();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

  // The child closes its connections and exits; the lowered limit stays until destruction, so
  // a test can show that the listener recovers with the same limit.
  void ReleaseConnections() {
    if (child_ <= 0)
      return;
    ::close(release_[1]);
    ::waitpid(child_, nullptr, 0);
    child_ = 0;
  }

 private:
  rlimit saved_{};
  int release_[2] = {-1, -1};
  pid_t child_ = 0;
};

}  // namespace baotong::testing
