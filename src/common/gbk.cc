#include "common/gbk.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>

namespace baotong {
namespace {

// iconv descriptors carry conversion state, so each thread keeps its own pair.
class IconvHandle {
 public:
  IconvHandle(const char* to, const char* from) : handle_(iconv_open(to, from)) {}
  ~IconvHandle() {
    if (valid())
      iconv_close(handle_);
  }
  IconvHandle(const IconvHandle&) = delete;
  IconvHandle& operator=(const IconvHandle&) = delete;

  bool valid() const { return handle_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return handle_; }

 private:
  iconv_t handle_;
};

bool IsAscii(const uint8_t* data, size_t size) {
  return std::all_of(data, data + size, [](uint8_t b) { return b < 0x80; });
}

// Runs one whole conversion; returns false on any invalid or unconvertible input.
bool Convert(const IconvHandle& conv, const char* in, size_t in_size, std::string& out) {
  iconv(conv.get(), nullptr, nullptr, nullptr, nullptr);  // reset shift state
  out.resize(in_size * 4 + 4);
  char* in_ptr = const_cast<char*>(in);  // iconv's signature is not const-correct
  size_t in_left = in_size;
  char* out_ptr = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    if (iconv(conv.get(), &in_ptr, &in_left, &out_ptr, &out_left) == static_cast<size_t>(-1)) {
      if (errno != E2BIG)
        return false;
      size_t used = out.size() - out_left;
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
    }
  }
  out.resize(out.size() - out_left);
  return true;
}

}  // namespace

Result<std::string> GbkToUtf8(ByteSpan gbk) {
  if (IsAscii(gbk.data(), gbk.size())) {
    return std::string(reinterpret_cast<const char*>(gbk.data()), gbk.size());
  }
  thread_local IconvHandle conv("UTF-8", "GB18030");
  if (!conv.valid())
    return Fail(ErrorCode::kUnsupported, "iconv has no GB18030 converter");
  std::string out;
  if (!Convert(conv, reinterpret_cast<const char*>(gbk.data()), gbk.size(), out)) {
    return Fail(ErrorCode::kBadEncoding, "bytes are not valid GBK");
  }
  return out;
}

Result<void> AppendUtf8AsGbk(std::string_view utf8, std::vector<uint8_t>& out) {
  auto* data = reinterpret_cast<const uint8_t*>(utf8.data());
  if (IsAscii(data, utf8.size())) {
    out.insert(out.end(), data, data + utf8.size());
    return {};
  }
  thread_local IconvHandle conv("GBK", "UTF-8");
  if (!conv.valid())
    return Fail(ErrorCode::kUnsupported, "iconv has no GBK converter");
  std::string converted;
  if (!Convert(conv, utf8.data(), utf8.size(), converted)) {
    return Fail(ErrorCode::kBadEncoding, "text is not valid UTF-8 or has a character GBK lacks");
  }
  out.insert(out.end(), converted.begin(), converted.end());
  return {};
}

}  // namespace baotong
