// A restarted simulated fleet comes back online with the codes it kept (--auth-codes), since
// the gateway never hands a registered terminal its code again (issue 13, item 1).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/gateway.h"
#include "gateway/test_support.h"
#include "sim/simulator.h"

namespace baotong::app {
namespace {

namespace fs = std::filesystem;

TEST(SimAuthCodes, ARestartedFleetAuthenticatesWithItsSavedCodes) {
  gateway::testing::MemoryStore store;
  gateway::Metrics metrics;
  gateway::GatewayOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.auto_register = true;
  gateway::Gateway gateway(options, store, store, metrics);
  ASSERT_TRUE(gateway.Start());

  const fs::path codes =
      fs::temp_directory_path() / ("baotong-sim-codes-" + std::to_string(::getpid()));
  fs::remove(codes);
  sim::SimOptions sim;
  sim.server_port = gateway.port();
  sim.terminals = 5;
  sim.seconds = 0.5;
  sim.rate = 4;
  sim.drain_s = 2;
  sim.auth_codes = codes;

  auto first = sim::RunSimulation(sim);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->registered, 5u);
  EXPECT_EQ(first->authenticated, 5u);
  struct stat info {};
  ASSERT_EQ(::stat(codes.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  auto restarted = sim::RunSimulation(sim);
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->registered, 0u);
  EXPECT_EQ(restarted->authenticated, 5u);
  EXPECT_GT(restarted->positions_acked, 0u);

  // Without the codes the same phones register again and learn nothing.
  sim.auth_codes.reset();
  auto forgetful = sim::RunSimulation(sim);
  ASSERT_TRUE(forgetful);
  EXPECT_EQ(forgetful->authenticated, 0u);
  EXPECT_EQ(forgetful->auth_failed, 5u);
  fs::remove(codes);
}

TEST(SimAuthCodes, AnExistingCodesFileIsNarrowedToItsOwner) {
  const fs::path codes =
      fs::temp_directory_path() / ("baotong-sim-codes-wide-" + std::to_string(::getpid()));
  {
    std::ofstream wide(codes);
    wide << "013900000001 0123456789ABCDEF\n";
  }
  fs::permissions(codes, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                             fs::perms::others_read);
  sim::SimOptions sim;
  sim.server_port = 1;  // nothing listens: the file is opened before any connection
  sim.terminals = 1;
  sim.seconds = 0.1;
  sim.drain_s = 0;
  sim.auth_codes = codes;
  (void)sim::RunSimulation(sim);
  struct stat info {};
  ASSERT_EQ(::stat(codes.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  fs::remove(codes);
}

}  // namespace
}  // namespace baotong::app
