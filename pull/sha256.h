// Streaming SHA-256 (OpenSSL EVP) with a lower-case hex digest, the form the hub publishes for
// LFS files. One object per file being hashed; not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace junction::pull {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view data);
  // Feeds the first `bytes` bytes of a file (a .part being resumed); throws junction::Error.
  void update_from_file(const std::filesystem::path& path, uint64_t bytes);
  std::string hex_digest();  // finishes; call once

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view data);

}  // namespace junction::pull
