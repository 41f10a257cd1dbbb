#include "common/secret_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace baotong::crypto {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
constexpr size_t kMaxFileBytes = kMaxSecretFileBytes;

void InitSodium() {
  if (sodium_init() < 0)
    std::abort();  // no randomness: nothing safe can be done
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

// Wipes a string holding key material when it goes.
struct WipedString {
  std::string text;
  ~WipedString() { sodium_memzero(text.data(), text.size()); }
};

bool ReadAll(int fd, std::string& content) {
  char buffer[512];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      sodium_memzero(buffer, sizeof buffer);
      return false;
    }
    if (got == 0)
      break;
    content.append(buffer, static_cast<size_t>(got));
    if (content.size() > kMaxFileBytes)
      break;  // longer than any key file: the caller refuses it
  }
  sodium_memzero(buffer, sizeof buffer);
  return true;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t wrote = ::write(fd, data.data(), data.size());
    if (wrote < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(wrote));
  }
  return true;
}

// Makes a new name in the file's directory survive a crash.
void SyncDirectoryOf(const std::filesystem::path& file) {
  const std::filesystem::path directory =
      file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  Fd dir{::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0)
    ::fsync(dir.fd);
}

std::string Render(std::string_view header, const std::vector<SecretEntry>& entries) {
  std::string content(header);
  content += '\n';
  for (const auto& entry : entries) {
    std::string encoded(sodium_base64_encoded_len(entry.bytes.size(), kVariant), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), entry.bytes.data(), entry.bytes.size(),
                      kVariant);
    encoded.resize(encoded.find('\0'));
    content += entry.name + " " + encoded + "\n";
    sodium_memzero(encoded.data(), encoded.size());
  }
  return content;
}

Result<std::vector<SecretEntry>> Parse(std::string_view text, std::string_view header) {
  const auto corrupt = [] {
    return Fail(ErrorCode::kBadValue, "key file is corrupt (not replaced: the data depends on it)");
  };
  if (!text.starts_with(header) || text.size() <= header.size() || text[header.size()] != '\n')
    return corrupt();
  text.remove_prefix(header.size() + 1);
  std::vector<SecretEntry> entries;
  while (!text.empty()) {
    size_t end = text.find('\n');
    if (end == std::string_view::npos)
      return corrupt();
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos)
      return corrupt();
    std::string_view encoded = line.substr(space + 1);
    std::vector<unsigned char> bytes(encoded.size());
    size_t length = 0;
    if (sodium_base642bin(bytes.data(), bytes.size(), encoded.data(), encoded.size(), nullptr,
                          &length, nullptr, kVariant) != 0 ||
        length == 0) {
      sodium_memzero(bytes.data(), bytes.size());
      return corrupt();
    }
    std::vector<unsigned char> exact(bytes.begin(), bytes.begin() + static_cast<long>(length));
    sodium_memzero(bytes.data(), bytes.size());
    entries.push_back({std::string(line.substr(0, space)), SecretBytes(std::move(exact))});
  }
  return entries;
}

}  // namespace

SecretBytes SecretBytes::Random(size_t size) {
  InitSodium();
  std::vector<unsigned char> bytes(size);
  randombytes_buf(bytes.data(), bytes.size());
  return SecretBytes(std::move(bytes));
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  Wipe();
}

void SecretBytes::Wipe() {
  if (!bytes_.empty())
    sodium_memzero(bytes_.data(), bytes_.size());
}

Result<bool> CreateSecretFile(const std::filesystem::path& file,
                              const std::function<std::string()>& render) {
  std::error_code error;
  if (file.has_parent_path())
    std::filesystem::create_directories(file.parent_path(), error);
  if (::access(file.c_str(), F_OK) == 0)
    return false;
  // Written whole under a temporary name, then linked to the final one: link() is atomic and
  // fails with EEXIST when another process got there first, so the final name never holds a
  // partial file, neither after a crash nor for a reader starting at the same time.
  WipedString content{render()};
  std::string temporary = file.string() + ".XXXXXX";
  Fd created{::mkostemp(temporary.data(), O_CLOEXEC)};
  if (created.fd < 0)
    return Fail(ErrorCode::kStorage, "cannot create the key file");
  if (::fchmod(created.fd, 0600) != 0 || !WriteAll(created.fd, content.text) ||
      ::fsync(created.fd) != 0) {
    ::unlink(temporary.c_str());
    return Fail(ErrorCode::kStorage, "cannot write the key file");
  }
  const int linked = ::link(temporary.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST)
      return false;
    return Fail(ErrorCode::kStorage, "cannot create the key file");
  }
  SyncDirectoryOf(file);
  return true;
}

Result<void> ReadSecretFile(const std::filesystem::path& file, std::string& content,
                            GroupReadable group_readable) {
  Fd existing{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (existing.fd < 0) {
    if (errno == ENOENT)
      return Fail(ErrorCode::kNotFound, "key file does not exist");
    return Fail(ErrorCode::kStorage, "cannot open the key file");
  }
  if (group_readable == GroupReadable::kRefuse) {
    struct stat status {};
    if (::fstat(existing.fd, &status) != 0)
      return Fail(ErrorCode::kStorage, "cannot stat the key file");
    if ((status.st_mode & 077) != 0)
      return Fail(ErrorCode::kBadValue,
                  "key file is readable by group or others: chmod 600 it (and check who copied "
                  "it)");
  }
  if (!ReadAll(existing.fd, content)) {
    sodium_memzero(content.data(), content.size());
    return Fail(ErrorCode::kStorage, "cannot read the key file");
  }
  return {};
}

Result<std::vector<SecretEntry>> LoadSecrets(const std::filesystem::path& file,
                                             std::string_view header) {
  InitSodium();
  WipedString content;
  if (auto read = ReadSecretFile(file, content.text, GroupReadable::kRefuse); !read)
    return tl::unexpected(read.error());
  if (content.text.size() > kMaxFileBytes)
    return Fail(ErrorCode::kStorage, "cannot read the key file");
  return Parse(content.text, header);
}

Result<std::vector<SecretEntry>> LoadOrCreateSecrets(
    const std::filesystem::path& file, std::string_view header,
    const std::function<std::vector<SecretEntry>()>& make) {
  InitSodium();
  std::vector<SecretEntry> entries;
  auto created = CreateSecretFile(file, [&] {
    entries = make();
    return Render(header, entries);
  });
  if (!created)
    return tl::unexpected(created.error());
  if (*created)
    return entries;
  return LoadSecrets(file, header);
}

Result<void> ReplaceSecrets(const std::filesystem::path& file, std::string_view header,
                            const std::vector<SecretEntry>& entries) {
  InitSodium();
  const std::filesystem::path temporary = file.string() + ".new";
  ::unlink(temporary.c_str());
  {
    Fd created{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
    if (created.fd < 0)
      return Fail(ErrorCode::kStorage, "cannot create the new key file");
    WipedString content{Render(header, entries)};
    if (!WriteAll(created.fd, content.text) || ::fsync(created.fd) != 0) {
      ::unlink(temporary.c_str());
      return Fail(ErrorCode::kStorage, "cannot write the new key file");
    }
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Fail(ErrorCode::kStorage, "cannot replace the key file");
  }
  SyncDirectoryOf(file);  // the rename itself must survive a crash
  return {};
}

}  // namespace baotong::crypto
