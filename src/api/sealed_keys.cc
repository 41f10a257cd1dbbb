#include "api/sealed_keys.h"

#include <sodium.h>

#include <array>
#include <vector>

namespace baotong::api {
namespace {

const std::array<unsigned char, crypto_secretbox_KEYBYTES>& ProcessKey() {
  static const auto key = [] {
    std::array<unsigned char, crypto_secretbox_KEYBYTES> made{};
    if (sodium_init() < 0)
      std::abort();  // no randomness: nothing safe can be done
    crypto_secretbox_keygen(made.data());
    return made;
  }();
  return key;
}

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

}  // namespace

std::string SealKey(std::string_view key) {
  const auto& secret = ProcessKey();
  std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 key.size());
  randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(key.data()), key.size(), box.data(),
                        secret.data());
  std::string text(sodium_base64_encoded_len(box.size(), kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), box.data(), box.size(), kVariant);
  text.resize(text.find('\0'));
  return "s." + text;
}

std::optional<std::string> UnsealKey(std::string_view token) {
  if (!IsSealedKey(token))
    return std::nullopt;
  token.remove_prefix(2);
  // Too short to hold a nonce and a tag (and an empty buffer has no data() to decode into).
  if (token.size() < 4)
    return std::nullopt;
  std::vector<unsigned char> box(token.size());
  size_t length = 0;
  if (sodium_base642bin(box.data(), box.size(), token.data(), token.size(), nullptr, &length,
                        nullptr, kVariant) != 0 ||
      length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return std::nullopt;
  std::string key(length - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(key.data()), box.data() + crypto_secretbox_NONCEBYTES,
          length - crypto_secretbox_NONCEBYTES, box.data(), ProcessKey().data()) != 0)
    return std::nullopt;
  return key;
}

}  // namespace baotong::api
