// Files of secret keys in the data directory (the field keys, the audit chain key): text, one
// "<name> <base64>" per line after a header line, mode 0600. Created by writing a temporary file
// and linking it to the final name (atomic, and refused when the name exists) so that two
// processes starting together agree on one file and none reads it half-written; replaced by
// writing a new file beside it and renaming it over. A file readable by group or others is
// refused: the keys are what stands between a copied database and the data in it.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace baotong::crypto {

// Bytes that are wiped when they go.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {}
  static SecretBytes Random(size_t size);
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  const unsigned char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  void Wipe();
  std::vector<unsigned char> bytes_;
};

struct SecretEntry {
  std::string name;  // no spaces
  SecretBytes bytes;
};

// The file primitives below the "<name> <base64>" format, for key files of another format (the
// pass signing key).

// Creates `file` (0600, and the directories above it) holding what `render` returns, only when
// no file is there: true when this call created it (render is called only when none was there),
// false when one was there already. The final name appears only with the whole text in it (written
// and synced under a temporary name, then linked). The rendered text is wiped once written.
Result<bool> CreateSecretFile(const std::filesystem::path& file,
                              const std::function<std::string()>& render);

// Whether a key file readable by group or others is refused.
enum class GroupReadable { kRefuse, kAllow };

// The most a key file holds; ReadSecretFile stops soon past it (a longer file reads longer).
inline constexpr size_t kMaxSecretFileBytes = 64 * 1024;

// Reads `file` into `content` (the caller wipes it); kNotFound when there is none.
Result<void> ReadSecretFile(const std::filesystem::path& file, std::string& content,
                            GroupReadable group_readable);

// Reads `file`, or creates it (0600) with the entries `make` returns when it does not exist.
// `header` is the first line (it names the file's purpose and format version).
Result<std::vector<SecretEntry>> LoadOrCreateSecrets(
    const std::filesystem::path& file, std::string_view header,
    const std::function<std::vector<SecretEntry>()>& make);

// Reads `file`; kNotFound when there is none.
Result<std::vector<SecretEntry>> LoadSecrets(const std::filesystem::path& file,
                                             std::string_view header);

// Replaces `file` with `entries` (a new 0600 file written, synced and renamed over).
Result<void> ReplaceSecrets(const std::filesystem::path& file, std::string_view header,
                            const std::vector<SecretEntry>& entries);

}  // namespace baotong::crypto
