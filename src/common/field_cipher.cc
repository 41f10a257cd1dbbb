#include "common/field_cipher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <vector>

namespace baotong::crypto {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kLookupBytes = 16;
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
constexpr std::string_view kAes = "aes-256-gcm";
constexpr std::string_view kSm4 = "sm4-gcm";

size_t KeyBytesOf(std::string_view algorithm) {
  return algorithm == kAes ? 32 : algorithm == kSm4 ? 16 : 0;
}

// The EVP cipher for an algorithm, fetched once; nullptr where OpenSSL lacks it.
const EVP_CIPHER* CipherOf(std::string_view algorithm) {
  static EVP_CIPHER* const aes = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const sm4 = EVP_CIPHER_fetch(nullptr, "SM4-GCM", nullptr);
  return algorithm == kAes ? aes : algorithm == kSm4 ? sm4 : nullptr;
}

// One context per thread, re-initialised for each value (cheaper than a new one each time).
EVP_CIPHER_CTX* ThreadContext() {
  struct Holder {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~Holder() { EVP_CIPHER_CTX_free(ctx); }
  };
  thread_local Holder holder;
  return holder.ctx;
}

std::string Base64(const unsigned char* data, size_t size) {
  std::string text(sodium_base64_encoded_len(size, kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), data, size, kVariant);
  text.resize(text.find('\0'));
  return text;
}

std::optional<std::vector<unsigned char>> FromBase64(std::string_view text) {
  std::vector<unsigned char> bytes(text.size() + 1);
  size_t length = 0;
  if (sodium_base642bin(bytes.data(), bytes.size(), text.data(), text.size(), nullptr, &length,
                        nullptr, kVariant) != 0)
    return std::nullopt;
  bytes.resize(length);
  return bytes;
}

std::mutex& CacheMutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<std::string, std::shared_ptr<const FieldCipher>>& Cache() {
  static std::map<std::string, std::shared_ptr<const FieldCipher>> cache;
  return cache;
}

std::string CacheKey(const std::filesystem::path& file) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(file, error);
  return (error ? file : absolute).lexically_normal().string();
}

std::vector<SecretEntry> NewKeyFile() {
  std::vector<SecretEntry> entries;
  entries.push_back({"lookup", SecretBytes::Random(32)});
  entries.push_back({"key.1." + std::string(kAes), SecretBytes::Random(KeyBytesOf(kAes))});
  return entries;
}

}  // namespace

Result<std::shared_ptr<const FieldCipher>> FieldCipher::FromEntries(
    const std::vector<SecretEntry>& entries) {
  if (sodium_init() < 0)
    return Fail(ErrorCode::kUnsupported, "libsodium could not be initialised");
  std::shared_ptr<FieldCipher> cipher(new FieldCipher());
  for (const auto& entry : entries) {
    if (entry.name == "lookup") {
      if (entry.bytes.size() != 32)
        return Fail(ErrorCode::kBadValue, "field key file: the lookup key is not 32 bytes");
      cipher->lookup_key_ = entry.bytes;
      continue;
    }
    // key.<id>.<algorithm>
    std::string_view name = entry.name;
    if (!name.starts_with("key."))
      return Fail(ErrorCode::kBadValue, "field key file: an entry is neither lookup nor key.N.ALG");
    name.remove_prefix(4);
    size_t dot = name.find('.');
    unsigned id = 0;
    if (dot == std::string_view::npos ||
        std::from_chars(name.data(), name.data() + dot, id).ec != std::errc() || id == 0 ||
        id > 255)
      return Fail(ErrorCode::kBadValue, "field key file: a key id is not 1 to 255");
    std::string algorithm(name.substr(dot + 1));
    if (KeyBytesOf(algorithm) == 0 || entry.bytes.size() != KeyBytesOf(algorithm))
      return Fail(ErrorCode::kBadValue,
                  "field key file: unknown algorithm or a key of the wrong length");
    if (!cipher->keys_.emplace(static_cast<uint8_t>(id), Key{algorithm, entry.bytes}).second)
      return Fail(ErrorCode::kBadValue, "field key file: a key id appears twice");
    cipher->current_ = std::max(cipher->current_, static_cast<uint8_t>(id));
  }
  if (cipher->lookup_key_.size() == 0 || cipher->keys_.empty())
    return Fail(ErrorCode::kBadValue, "field key file: the lookup key or every key is missing");
  if (!CipherOf(cipher->keys_.at(cipher->current_).algorithm))
    return Fail(ErrorCode::kUnsupported,
                "field key file: this OpenSSL does not provide the current key's algorithm");
  return std::shared_ptr<const FieldCipher>(std::move(cipher));
}

Result<std::shared_ptr<const FieldCipher>> FieldCipher::ForFile(const std::filesystem::path& file) {
  std::lock_guard lock(CacheMutex());
  const std::string key = CacheKey(file);
  if (auto found = Cache().find(key); found != Cache().end())
    return found->second;
  auto entries = LoadOrCreateSecrets(file, kHeader, NewKeyFile);
  if (!entries)
    return tl::unexpected(entries.error());
  auto cipher = FromEntries(*entries);
  if (!cipher)
    return cipher;
  Cache()[key] = *cipher;
  return cipher;
}

std::shared_ptr<const FieldCipher> FieldCipher::Ephemeral() {
  static const std::shared_ptr<const FieldCipher> ephemeral = [] {
    auto made = FromEntries(NewKeyFile());
    if (!made)
      std::abort();  // AES-256-GCM missing from OpenSSL: nothing can be stored
    return *made;
  }();
  return ephemeral;
}

Result<std::shared_ptr<const FieldCipher>> FieldCipher::AddKey(const std::filesystem::path& file,
                                                               std::string_view algorithm) {
  if (KeyBytesOf(algorithm) == 0)
    return Fail(ErrorCode::kBadValue, "unknown algorithm (aes-256-gcm or sm4-gcm)");
  if (!CipherOf(algorithm))
    return Fail(ErrorCode::kUnsupported,
                "this OpenSSL does not provide the algorithm (SM4-GCM needs OpenSSL 3.2 or later)");
  std::lock_guard lock(CacheMutex());
  auto entries = LoadSecrets(file, kHeader);
  if (!entries)
    return tl::unexpected(entries.error());
  auto current = FromEntries(*entries);
  if (!current)
    return current;
  if ((*current)->current_ == 255)
    return Fail(ErrorCode::kResourceLimit, "field key ids exhausted (255): retire old keys first");
  const unsigned next = (*current)->current_ + 1u;
  entries->push_back({"key." + std::to_string(next) + "." + std::string(algorithm),
                      SecretBytes::Random(KeyBytesOf(algorithm))});
  auto cipher = FromEntries(*entries);
  if (!cipher)
    return cipher;
  if (auto written = ReplaceSecrets(file, kHeader, *entries); !written)
    return tl::unexpected(written.error());
  Cache()[CacheKey(file)] = *cipher;
  return cipher;
}

Result<void> FieldCipher::RetireOldKeys(const std::filesystem::path& file) {
  std::lock_guard lock(CacheMutex());
  auto entries = LoadSecrets(file, kHeader);
  if (!entries)
    return tl::unexpected(entries.error());
  auto cipher = FromEntries(*entries);
  if (!cipher)
    return tl::unexpected(cipher.error());
  auto kept = (*cipher)->Entries(true);
  if (auto written = ReplaceSecrets(file, kHeader, kept); !written)
    return written;
  auto reduced = FromEntries(kept);
  if (!reduced)
    return tl::unexpected(reduced.error());
  Cache()[CacheKey(file)] = *reduced;
  return {};
}

std::vector<SecretEntry> FieldCipher::Entries(bool current_only) const {
  std::vector<SecretEntry> entries;
  entries.push_back({"lookup", lookup_key_});
  for (const auto& [id, key] : keys_) {
    if (current_only && id != current_)
      continue;
    entries.push_back({"key." + std::to_string(id) + "." + key.algorithm, key.bytes});
  }
  return entries;
}

std::string FieldCipher::current_algorithm() const {
  return keys_.at(current_).algorithm;
}

std::string FieldCipher::Seal(std::string_view plain, std::string_view context) const {
  const Key& key = keys_.at(current_);
  std::vector<unsigned char> box(1 + kNonceBytes + plain.size() + kTagBytes);
  box[0] = current_;
  unsigned char* nonce = box.data() + 1;
  randombytes_buf(nonce, kNonceBytes);
  unsigned char* out = nonce + kNonceBytes;
  EVP_CIPHER_CTX* ctx = ThreadContext();
  int length = 0;
  int final_length = 0;
  bool ok =
      ctx &&
      EVP_EncryptInit_ex2(ctx, CipherOf(key.algorithm), key.bytes.data(), nonce, nullptr) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &length,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx, out, &length, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, out + length, &final_length) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, out + plain.size()) == 1;
  if (!ok)
    std::abort();  // the cipher was checked when the keys were loaded; this is not recoverable
  return Base64(box.data(), box.size());
}

std::optional<std::string> FieldCipher::SealOptional(const std::optional<std::string>& plain,
                                                     std::string_view context) const {
  if (!plain)
    return std::nullopt;
  return Seal(*plain, context);
}

Result<std::string> FieldCipher::Open(std::string_view sealed, std::string_view context) const {
  auto box = FromBase64(sealed);
  if (!box || box->size() < 1 + kNonceBytes + kTagBytes)
    return Fail(ErrorCode::kBadValue, "a sealed field is malformed");
  auto key = keys_.find((*box)[0]);
  if (key == keys_.end())
    return Fail(ErrorCode::kNotFound,
                "a sealed field names a key this process does not hold (rotated elsewhere? "
                "restart with the current key file)");
  const EVP_CIPHER* cipher = CipherOf(key->second.algorithm);
  if (!cipher)
    return Fail(ErrorCode::kUnsupported, "this OpenSSL does not provide the field's algorithm");
  const unsigned char* nonce = box->data() + 1;
  const unsigned char* in = nonce + kNonceBytes;
  const size_t in_size = box->size() - 1 - kNonceBytes - kTagBytes;
  std::string plain(in_size, '\0');
  EVP_CIPHER_CTX* ctx = ThreadContext();
  int length = 0;
  int final_length = 0;
  bool ok = ctx &&
            EVP_DecryptInit_ex2(ctx, cipher, key->second.bytes.data(), nonce, nullptr) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &length,
                              reinterpret_cast<const unsigned char*>(context.data()),
                              static_cast<int>(context.size())) == 1 &&
            EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &length, in,
                              static_cast<int>(in_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes,
                                const_cast<unsigned char*>(in + in_size)) == 1 &&
            EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + length,
                                &final_length) == 1;
  if (!ok) {
    sodium_memzero(plain.data(), plain.size());
    return Fail(ErrorCode::kBadValue,
                "a sealed field does not open: altered, or moved from another row or column");
  }
  return plain;
}

Result<std::optional<std::string>> FieldCipher::OpenOptional(
    const std::optional<std::string>& sealed, std::string_view context) const {
  if (!sealed)
    return std::optional<std::string>();
  auto plain = Open(*sealed, context);
  if (!plain)
    return tl::unexpected(plain.error());
  return std::optional<std::string>(std::move(*plain));
}

std::string FieldCipher::LookupHash(std::string_view domain, std::string_view value) const {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, lookup_key_.data(), lookup_key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                                domain.size());
  const unsigned char separator = 0;
  crypto_auth_hmacsha256_update(&state, &separator, 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(value.data()),
                                value.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::array<char, kLookupBytes * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), kLookupBytes);
  return std::string(hex.data(), kLookupBytes * 2);
}

std::optional<std::string> FieldCipher::LookupHashOptional(
    std::string_view domain, const std::optional<std::string>& value) const {
  if (!value)
    return std::nullopt;
  return LookupHash(domain, *value);
}

std::string FieldCipher::Digest(std::initializer_list<std::string_view> parts) const {
  std::string encoded = "digest";
  for (std::string_view part : parts) {
    encoded += std::to_string(part.size());
    encoded += ':';
    encoded += part;
  }
  std::string digest = LookupHash("row-digest", encoded);
  sodium_memzero(encoded.data(), encoded.size());
  return digest;
}

Result<FieldKeysLock> FieldKeysLock::Take(const std::filesystem::path& key_file, Mode mode) {
  const int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Fail(ErrorCode::kStorage, "cannot open the field key file to lock it");
  FieldKeysLock lock(fd);
  if (::flock(fd, (mode == Mode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Fail(ErrorCode::kConflict,
                  mode == Mode::kShared
                      ? "the field keys are being rotated (baotong keys rotate is running)"
                      : "the field keys are in use (baotong serve is running)");
    return Fail(ErrorCode::kStorage, "cannot lock the field key file");
  }
  return lock;
}

FieldKeysLock::~FieldKeysLock() {
  if (fd_ >= 0)
    ::close(fd_);
}

}  // namespace baotong::crypto
