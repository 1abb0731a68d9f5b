#include "gateway/key_hash.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "core/error.h"

namespace junction::gateway {
namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::string random_hex(size_t n_bytes) {
  std::vector<unsigned char> bytes(n_bytes);
  if (RAND_bytes(bytes.data(), static_cast<int>(n_bytes)) != 1)
    throw Error("OpenSSL RAND_bytes failed");
  return hex(bytes.data(), n_bytes);
}

std::string new_api_key() {
  return "sk-jn-" + random_hex(24);
}

std::string hash_api_key(const std::string& pepper, const std::string& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, pepper.data(), pepper.size()) == 1 &&
                  EVP_DigestUpdate(ctx, key.data(), key.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &n) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw Error("OpenSSL SHA-256 failed");
  return hex(digest, n);
}

}  // namespace junction::gateway
