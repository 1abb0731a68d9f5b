// Where pulled models live on disk and how a model argument (a path, an alias, an hf:// URL)
// becomes a local path. The cache is laid out as <root>/<org>/<repo>/<file>; a model folder is
// <root>/<org>/<repo> and counts as present once its config.json is there (pulls fetch it last).
// The revision is not part of the layout: pulling another revision replaces the files.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "pull/catalog.h"

namespace junction::pull {

// The environment the cache root depends on, read once at the edge so the rule stays pure.
struct CacheEnv {
  std::string junction_cache;  // $JUNCTION_CACHE
  std::string xdg_cache_home;  // $XDG_CACHE_HOME
  std::string home;            // $HOME
};

CacheEnv cache_env_from_process();

// $JUNCTION_CACHE, else $XDG_CACHE_HOME/junction/models, else ~/.cache/junction/models.
std::filesystem::path cache_root(const CacheEnv& env);

// <root>/<org>/<repo>[/<file>]
std::filesystem::path cache_path(const std::filesystem::path& root, const ModelRef& ref);
std::filesystem::path cache_path(const std::filesystem::path& root, const RepoId& repo,
                                 std::string_view file);

// The file exists, or the folder has its config.json.
bool is_cached(const std::filesystem::path& root, const ModelRef& ref);

// An existing path is returned as is; an alias or hf:// URL becomes its cache path when pulled,
// otherwise junction::Error says "run: junction pull <alias>".
std::string resolve_model_path(std::string_view model_arg, const std::filesystem::path& root);
// The same with the cache root of this process's environment.
std::string resolve_model_path(std::string_view model_arg);

}  // namespace junction::pull
