// The JT/T 808 listener against connection floods (issue 13, item 15): a per-address cap on
// open connections ([gateway] max_connections_per_address), and an accept loop that waits
// instead of spinning (and logging every try) while the process is out of descriptors.
#include "gateway/connection_limits.h"

#include <gtest/gtest.h>

#include "gateway/gateway.h"
#include "gateway/test_support.h"
#include "support/descriptor_exhaustion.h"

namespace baotong::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using testing::MemoryStore;
using testing::TestTerminal;
using namespace std::chrono_literals;

std::unique_ptr<tcp::socket> ConnectFrom(asio::io_context& io, const char* from, uint16_t port) {
  auto socket = std::make_unique<tcp::socket>(io);
  socket->open(tcp::v4());
  socket->bind({asio::ip::make_address(from), 0});
  socket->connect({asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

// Whether the gateway closed the connection within `wait` (a live one stays silent: the
// terminal has not said anything yet).
bool ClosedByGateway(tcp::socket& socket, std::chrono::milliseconds wait = 500ms) {
  socket.non_blocking(true);
  const auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    char byte;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    if (ec == asio::error::eof || ec == asio::error::connection_reset)
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class GatewayConnectionCaps : public ::testing::Test {
 protected:
  void Start(size_t per_address) {
    GatewayOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.auto_register = true;
    options.max_connections_per_address = per_address;
    gateway_ = std::make_unique<Gateway>(options, store_, store_, metrics_);
    ASSERT_TRUE(gateway_->Start());
  }
  MemoryStore store_;
  Metrics metrics_;
  std::unique_ptr<Gateway> gateway_;
};

TEST_F(GatewayConnectionCaps, OneAddressCannotTakeEveryConnection) {
  Start(3);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(ConnectFrom(io, "127.0.0.1", gateway_->port()));
  auto fourth = ConnectFrom(io, "127.0.0.1", gateway_->port());
  EXPECT_TRUE(ClosedByGateway(*fourth)) << "a fourth connection from one address was kept";
  for (auto& socket : held)
    EXPECT_FALSE(ClosedByGateway(*socket, 100ms));
  // Another address is not affected ...
  auto other = ConnectFrom(io, "127.0.0.2", gateway_->port());
  EXPECT_FALSE(ClosedByGateway(*other));
  // ... and a connection that ends frees its place: a terminal registers and authenticates.
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  TestTerminal terminal(gateway_->port(), "013900000001");
  EXPECT_NO_THROW(terminal.RegisterAndAuthenticate());
}

TEST_F(GatewayConnectionCaps, NoCapByDefault) {
  EXPECT_EQ(GatewayOptions{}.max_connections_per_address, 0u);
  Start(0);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 64; ++i)
    held.push_back(ConnectFrom(io, "127.0.0.1", gateway_->port()));
  for (auto& socket : held)
    EXPECT_FALSE(ClosedByGateway(*socket, 20ms));
}

// Out of descriptors, the accept loop waits instead of retrying at once, and terminals are
// served again once descriptors are free.
TEST_F(GatewayConnectionCaps, OutOfDescriptorsTheAcceptLoopBacksOffAndRecovers) {
  if (baotong::testing::kSanitizersNeedDescriptors)
    GTEST_SKIP()
        << "the sanitizers' type checks need free descriptors (support/descriptor_exhaustion.h)";
  Start(0);
  const uint16_t port = gateway_->port();
  // Another process holds 100 connections: more than this process has descriptors left, so
  // the rest wait in the listen backlog, where the old loop retried accept() without pause.
  baotong::testing::DescriptorExhaustion exhaustion(port);
  std::this_thread::sleep_for(300ms);
  const double cpu_before = baotong::testing::ProcessCpuSeconds();
  std::this_thread::sleep_for(1s);
  const double cpu_spent = baotong::testing::ProcessCpuSeconds() - cpu_before;
  EXPECT_LT(cpu_spent, 0.3) << "the accept loop spins while out of descriptors";

  exhaustion.ReleaseConnections();  // the limit stays low: the loop recovers under it
  bool served = false;
  for (int attempt = 0; attempt < 30 && !served; ++attempt) {
    try {
      TestTerminal terminal(port, "013900000002");
      terminal.RegisterAndAuthenticate();
      served = true;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(served) << "no terminal was served after descriptors were freed";
}

}  // namespace
}  // namespace baotong::gateway
