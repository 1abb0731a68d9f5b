// API key material: new keys and ids from OpenSSL's CSPRNG, and the stored form of a key,
// hex(SHA-256(pepper || key)). Keys carry 192 random bits, so one fast hash is enough (no
// password stretching); the pepper lives in the config, not the store, so a leaked database
// alone cannot be used to test guesses.
#pragma once

#include <string>

namespace junction::gateway {

// n random bytes as 2n lower-case hex digits.
std::string random_hex(size_t n_bytes);
// "sk-jn-" + 48 hex digits.
std::string new_api_key();
std::string hash_api_key(const std::string& pepper, const std::string& key);

}  // namespace junction::gateway
