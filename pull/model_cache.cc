#include "pull/model_cache.h"

#include <cstdlib>
#include <system_error>

#include "core/error.h"

namespace junction::pull {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

CacheEnv cache_env_from_process() {
  return {env_or_empty("JUNCTION_CACHE"), env_or_empty("XDG_CACHE_HOME"), env_or_empty("HOME")};
}

std::filesystem::path cache_root(const CacheEnv& env) {
  if (!env.junction_cache.empty()) return env.junction_cache;
  if (!env.xdg_cache_home.empty())
    return std::filesystem::path(env.xdg_cache_home) / "junction" / "models";
  if (env.home.empty())
    throw Error("cannot place the model cache: set JUNCTION_CACHE (or HOME) to a writable folder");
  return std::filesystem::path(env.home) / ".cache" / "junction" / "models";
}

std::filesystem::path cache_path(const std::filesystem::path& root, const RepoId& repo,
                                 std::string_view file) {
  std::filesystem::path p = root / repo.org / repo.repo;
  if (!file.empty()) p /= std::filesystem::path(std::string(file));
  return p;
}

std::filesystem::path cache_path(const std::filesystem::path& root, const ModelRef& ref) {
  return cache_path(root, ref.repo, ref.file);
}

bool is_cached(const std::filesystem::path& root, const ModelRef& ref) {
  std::error_code ec;
  const auto p = cache_path(root, ref);
  if (!ref.file.empty()) return std::filesystem::is_regular_file(p, ec);
  return std::filesystem::is_regular_file(p / "config.json", ec);
}

std::string resolve_model_path(std::string_view model_arg, const std::filesystem::path& root) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(std::string(model_arg)), ec))
    return std::string(model_arg);
  if (!looks_like_model_ref(model_arg))
    throw Error("model '" + std::string(model_arg) +
                "' is neither an existing file or folder, nor a catalogue alias, nor an hf:// URL "
                "(see: junction pull --list)");
  const ModelRef ref = parse_model_ref(model_arg);
  if (is_cached(root, ref)) return cache_path(root, ref).string();
  throw Error("model '" + std::string(model_arg) + "' is not in the cache (" +
              cache_path(root, ref).string() + "); run: junction pull " + std::string(model_arg));
}

std::string resolve_model_path(std::string_view model_arg) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(std::string(model_arg)), ec))
    return std::string(model_arg);
  return resolve_model_path(model_arg, cache_root(cache_env_from_process()));
}

}  // namespace junction::pull
