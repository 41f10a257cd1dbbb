// The real `baotong serve` process, killed with SIGKILL while terminals report: nothing it
// acknowledged may be lost, and resends after the restart must not be stored twice.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "gateway/test_support.h"
#include "store/sqlite/sqlite_store.h"

extern char** environ;

namespace baotong::app {
namespace {

using namespace std::chrono_literals;
using gateway::testing::TestTerminal;

class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& data_dir, const std::filesystem::path& log) {
    std::string binary = BAOTONG_BINARY;
    std::vector<std::string> args = {binary,           "serve", "--data-dir",  data_dir.string(),
                                     "--jt808-port",   "0",     "--http-port", "0",
                                     "--auto-register"};
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start baotong serve");
    }
    posix_spawn_file_actions_destroy(&actions);
    // Wait for the line that names the ports it bound.
    std::regex listening(R"(jt808 [^:]+:(\d+), http [^:]+:(\d+))");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(25ms);
      std::ifstream input(log);
      std::string line;
      std::smatch match;
      while (std::getline(input, line)) {
        if (std::regex_search(line, match, listening))
          port_ = std::stoi(match[1]);
      }
    }
    if (port_ == 0)
      throw std::runtime_error("baotong serve did not start");
  }
  ~ServerProcess() { Signal(SIGKILL); }

  void Signal(int signal) {
    if (pid_ <= 0)
      return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  uint16_t port() const { return static_cast<uint16_t>(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

jt808::LocationReport Report(int64_t time_ms) {
  jt808::LocationReport report;
  report.status = jt808::status_bit::kPositioned;
  report.lat_e6 = 41'108'500;
  report.lon_e6 = 122'994'300;
  report.time_ms = time_ms;
  return report;
}

TEST(CrashRestart, NothingAcknowledgedIsLostAndResendsAreNotDuplicated) {
  auto dir =
      std::filesystem::temp_directory_path() / ("baotong-crash-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  constexpr int kReports = 300;
  constexpr int64_t kStart = 1'650'415'800'000;
  std::vector<uint16_t> acked;
  std::string auth_code;
  {
    ServerProcess server(dir / "data", dir / "serve1.log");
    TestTerminal terminal(server.port(), "013955500001");
    auth_code = terminal.RegisterAndAuthenticate();
    for (int i = 0; i < kReports; ++i)
      terminal.SendWithSerial(Report(kStart + i * 1000), i);
    // Collect some acknowledgements, then kill the server while the rest are in flight.
    while (acked.size() < kReports / 2) {
      auto reply = terminal.Receive();
      ASSERT_TRUE(reply);
      acked.push_back(std::get<jt808::PlatformGeneralReply>(reply->message).reply_serial);
    }
    server.Signal(SIGKILL);
    while (auto reply = terminal.Receive(200ms)) {
      acked.push_back(std::get<jt808::PlatformGeneralReply>(reply->message).reply_serial);
    }
  }
  {
    // Restart on the same data; the terminal comes back with its code and resends everything.
    ServerProcess server(dir / "data", dir / "serve2.log");
    TestTerminal terminal(server.port(), "013955500001");
    terminal.Send(jt808::Auth{auth_code, {}, {}});
    auto auth = terminal.Receive();
    ASSERT_TRUE(auth);
    ASSERT_EQ(std::get<jt808::PlatformGeneralReply>(auth->message).result, 0);
    for (int i = 0; i < kReports; ++i)
      terminal.SendWithSerial(Report(kStart + i * 1000), i);
    for (int i = 0; i < kReports; ++i)
      ASSERT_TRUE(terminal.Receive()) << i;
    server.Signal(SIGTERM);
  }
  auto store = store::SqliteStore::Open(dir / "data");
  ASSERT_TRUE(store);
  for (uint16_t serial : acked) {
    auto found = (*store)->Contains({"013955500001", serial, kStart + serial * 1000});
    ASSERT_TRUE(found);
    EXPECT_TRUE(*found) << "acknowledged position " << serial << " was lost";
  }
  EXPECT_EQ(*(*store)->Count(), static_cast<uint64_t>(kReports));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace baotong::app
