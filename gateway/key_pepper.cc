#include "gateway/key_pepper.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "gateway/key_hash.h"

namespace junction::gateway {
namespace {

namespace fs = std::filesystem;

std::string read_pepper(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error("cannot read " + path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) throw Error(path + " is readable by other users: chmod 600 " + path);
  std::ifstream in(path);
  std::string pepper;
  std::getline(in, pepper);
  if (pepper.empty()) throw Error(path + " holds no pepper");
  return pepper;
}

// A new random pepper written to `path`, which must not exist (O_EXCL: two gateways starting
// at once do not both write one).
std::string create_pepper(const std::string& path) {
  const std::string pepper = random_hex(32);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return read_pepper(path);
    throw Error("cannot create " + path + ": " + std::strerror(errno));
  }
  const std::string line = pepper + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw Error("cannot write " + path);
  return pepper;
}

}  // namespace

std::string resolve_key_pepper(const GatewayConfig& config, std::string& warning) {
  warning.clear();
  if (config.key_pepper_configured) return config.key_pepper;
  const std::string sqlite = "sqlite://";
  if (config.store.rfind(sqlite, 0) != 0) {
    warning =
        "no key_pepper in the config: key hashes use the public default; set key_pepper "
        "(the same in every gateway sharing this database; existing keys must then be "
        "reissued)";
    return config.key_pepper;
  }
  const std::string db = config.store.substr(sqlite.size());
  if (db.empty() || db == ":memory:") return config.key_pepper;  // nothing outlives the process
  const std::string path = db + ".pepper";
  if (fs::exists(path)) return read_pepper(path);
  if (fs::exists(db)) {
    warning = db + " predates " + path +
              ": its key hashes use the public default pepper; set key_pepper in the config "
              "and reissue the keys to change that";
    return config.key_pepper;
  }
  return create_pepper(path);
}

}  // namespace junction::gateway
