#include "gateway/connection_limits.h"

#include <spdlog/spdlog.h>

#include <boost/asio/error.hpp>

namespace baotong::gateway {

ConnectionLimits::Slot ConnectionLimits::Acquire(const std::string& address) {
  std::lock_guard lock(mu_);
  if (total_ && open_ >= total_)
    return nullptr;
  if (!per_address_) {
    // No per-address cap: nothing to count by address (the gateway's default).
    ++open_;
    return Slot(this, [self = shared_from_this()](const void*) { self->Release({}); });
  }
  size_t& count = by_address_[address];
  if (per_address_ && count >= per_address_) {
    if (count == 0)
      by_address_.erase(address);
    return nullptr;
  }
  ++count;
  ++open_;
  // Not null (a null slot reads as "refused"); the deleter gives the place back.
  return Slot(this, [self = shared_from_this(), address](const void*) { self->Release(address); });
}

void ConnectionLimits::Release(const std::string& address) {
  std::lock_guard lock(mu_);
  --open_;
  if (!per_address_)
    return;
  auto found = by_address_.find(address);
  if (found != by_address_.end() && --found->second == 0)
    by_address_.erase(found);
}

bool OutOfDescriptors(const boost::system::error_code& ec) {
  namespace asio = boost::asio;
  return ec == asio::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

bool AcceptBackoff::Handle(const boost::system::error_code& ec, std::function<void()> retry) {
  if (!OutOfDescriptors(ec)) {
    backing_off_ = false;
    return false;
  }
  if (!backing_off_)
    spdlog::warn("{} accept: {}; retrying every {} ms", listener_, ec.message(),
                 kAcceptBackoff.count());
  backing_off_ = true;
  timer_.expires_after(kAcceptBackoff);
  timer_.async_wait([retry = std::move(retry)](const boost::system::error_code& wait_ec) {
    if (!wait_ec)
      retry();
  });
  return true;
}

}  // namespace baotong::gateway
