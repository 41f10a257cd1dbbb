// Personal fields at rest (ID numbers, phones, health results): sealed with AES-256-GCM
// (OpenSSL 3 EVP) under a key from a file in the data directory, with a keyed hash beside each
// value that lookups and uniqueness need.
//
// Sealed value: base64url without padding of
//   key id (1 byte) | nonce (12 random bytes) | ciphertext | GCM tag (16 bytes)
// The associated data is the caller's `context`: "table.column|record key", so that a sealed
// value copied into another row or column does not open.
//
// Lookup hash: the first 16 bytes of HMAC-SHA256(lookup key, domain "\0" value), in hex. The
// same value in the same domain always hashes alike (exact-match lookups, joins, uniqueness);
// nothing about a value can be learnt from its hash without the key.
//
// Key file (data_dir/registry-fields.key, 0600, created on first use):
//   baotong-field-keys v1
//   lookup <base64 32 bytes>
//   key.1.aes-256-gcm <base64 32 bytes>
//   key.2.sm4-gcm <base64 16 bytes>      (after a rotation; the highest id seals)
// SM4-GCM is accepted where the OpenSSL build provides it (OpenSSL 3.0's default provider does
// not; `baotong keys rotate --algorithm sm4-gcm` then fails before changing anything).
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"
#include "common/secret_file.h"

namespace baotong::crypto {

class FieldCipher {
 public:
  static constexpr std::string_view kFileName = "registry-fields.key";
  static constexpr std::string_view kHeader = "baotong-field-keys v1";

  // The keys in `file`, created (an AES-256-GCM key and a lookup key) when it does not exist.
  // Cached per file: every store of the process shares one object.
  static Result<std::shared_ptr<const FieldCipher>> ForFile(const std::filesystem::path& file);
  // Keys made for this process only (databases without a file, e.g. ":memory:").
  static std::shared_ptr<const FieldCipher> Ephemeral();
  // Adds a key for `algorithm` ("aes-256-gcm" or "sm4-gcm") to `file`; it seals from now on and
  // the older keys still open. Returns the new cipher (the cache follows).
  static Result<std::shared_ptr<const FieldCipher>> AddKey(const std::filesystem::path& file,
                                                           std::string_view algorithm);
  // Rewrites `file` keeping only the current key and the lookup key (once every value has been
  // sealed again under the current key).
  static Result<void> RetireOldKeys(const std::filesystem::path& file);

  std::string Seal(std::string_view plain, std::string_view context) const;
  std::optional<std::string> SealOptional(const std::optional<std::string>& plain,
                                          std::string_view context) const;
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;
  Result<std::optional<std::string>> OpenOptional(const std::optional<std::string>& sealed,
                                                  std::string_view context) const;

  std::string LookupHash(std::string_view domain, std::string_view value) const;
  std::optional<std::string> LookupHashOptional(std::string_view domain,
                                                const std::optional<std::string>& value) const;
  // A keyed digest of several parts (length-prefixed), to tell whether sealed values changed
  // without opening them. Callers include the record key so that equal values in different
  // rows do not digest alike.
  std::string Digest(std::initializer_list<std::string_view> parts) const;

  uint8_t current_key_id() const { return current_; }
  std::string current_algorithm() const;

  struct Key {
    std::string algorithm;  // "aes-256-gcm" or "sm4-gcm"
    SecretBytes bytes;
  };

 private:
  FieldCipher() = default;
  static Result<std::shared_ptr<const FieldCipher>> FromEntries(
      const std::vector<SecretEntry>& entries);
  std::vector<SecretEntry> Entries(bool current_only) const;

  SecretBytes lookup_key_;
  std::map<uint8_t, Key> keys_;
  uint8_t current_ = 0;
};

// A lock on a field key file without waiting: shared while a server seals under its keys,
// exclusive while `keys rotate` replaces them (a server going on under the retired key would
// seal values nothing can open any more). kConflict when the other kind is held.
class FieldKeysLock {
 public:
  enum class Mode { kShared, kExclusive };
  static Result<FieldKeysLock> Take(const std::filesystem::path& key_file, Mode mode);
  FieldKeysLock(FieldKeysLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FieldKeysLock& operator=(FieldKeysLock&&) = delete;
  ~FieldKeysLock();

 private:
  explicit FieldKeysLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace baotong::crypto
