#include "gateway/local_engine.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>

#include "core/error.h"
#include "gateway/config.h"
#include "gateway/key_hash.h"

extern char** environ;

namespace junction::gateway {

LocalEngine::LocalEngine(LocalEngineOptions options) : options_(std::move(options)) {}

LocalEngine::~LocalEngine() {
  stop();
}

pid_t LocalEngine::spawn(int out_fd) const {
  std::vector<std::string> args = {options_.executable,
                                   "serve",
                                   "--model",
                                   options_.model_path,
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port_),
                                   "--served-model-name",
                                   options_.served_model_name};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
  // The gateway's environment, with JUNCTION_API_KEY set to the child's key (or removed).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "JUNCTION_API_KEY=", 17) != 0) env_strings.emplace_back(*e);
  }
  if (!options_.api_key.empty()) env_strings.push_back("JUNCTION_API_KEY=" + options_.api_key);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw Error("cannot start " + args[0] + " for local provider '" + options_.name +
                "': " + std::strerror(rc));
  return pid;
}

std::string LocalEngine::start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw Error("pipe: " + std::string(std::strerror(errno)));
  // The child gets the write end as its stdout/stderr (dup2 clears CLOEXEC on the copy).
  try {
    pid_.store(spawn(fds[1]));
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[1]);
  supervisor_ = std::thread([this, fd = fds[0]] { supervise(fd); });
  std::unique_lock lock(mutex_);
  const bool ready = changed_.wait_for(lock, options_.start_timeout,
                                       [&] { return !listening_url_.empty() || exited_; });
  if (listening_url_.empty()) {
    const std::string tail = log_tail_;
    lock.unlock();
    stop();
    throw Error("local provider '" + options_.name + "': `junction serve --model " +
                options_.model_path + "` " +
                (ready ? "exited before listening" : "did not listen within the start timeout") +
                "; its last output:\n" + tail);
  }
  return listening_url_ + "/v1";
}

// Reads the child's output (forwarding it, prefixed, to our stderr), notices the "listening"
// line, and restarts the child when it dies unexpectedly, with backoff.
void LocalEngine::supervise(int read_fd) {
  const std::regex listening(R"(listening on (http://127\.0\.0\.1:(\d+)))");
  auto backoff = std::chrono::seconds(1);
  for (;;) {
    std::string pending;
    char buf[4096];
    for (ssize_t n; (n = read(read_fd, buf, sizeof buf)) > 0;) {
      pending.append(buf, static_cast<size_t>(n));
      for (size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        std::fprintf(stderr, "[%s] %s\n", options_.name.c_str(), line.c_str());
        std::smatch m;
        std::lock_guard lock(mutex_);
        log_tail_ += line + "\n";
        if (log_tail_.size() > 4096) log_tail_.erase(0, log_tail_.size() - 4096);
        if (std::regex_search(line, m, listening)) {
          listening_url_ = m[1];
          port_ = std::stoi(m[2]);
          backoff = std::chrono::seconds(1);
          changed_.notify_all();
        }
      }
    }
    close(read_fd);
    int status = 0;
    waitpid(pid_.load(), &status, 0);
    {
      std::lock_guard lock(mutex_);
      exited_ = true;
      changed_.notify_all();
      if (stopping_ || port_ == 0) return;  // stopped, or never came up: start() reports it
    }
    std::fprintf(stderr, "[%s] junction serve exited (%s %d); restarting in %llds\n",
                 options_.name.c_str(), WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                 static_cast<long long>(backoff.count()));
    int fds[2];
    {
      // Spawning under the lock: stop() either sees the new pid or the supervisor sees stopping.
      std::unique_lock lock(mutex_);
      if (changed_.wait_for(lock, backoff, [&] { return stopping_.load(); })) return;
      if (pipe2(fds, O_CLOEXEC) != 0) return;
      try {
        pid_.store(spawn(fds[1]));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "[%s] %s\n", options_.name.c_str(), e.what());
        close(fds[0]);
        close(fds[1]);
        return;
      }
      exited_ = false;
    }
    close(fds[1]);
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
    restarts_.fetch_add(1);
    read_fd = fds[0];
  }
}

void LocalEngine::stop() {
  pid_t pid;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
    pid = exited_ ? -1 : pid_.load();
  }
  if (pid > 0) {
    kill(pid, SIGTERM);
    // The supervisor reaps the child; give the engine time to drain, then insist.
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard lock(mutex_);
        if (exited_) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::lock_guard lock(mutex_);
    if (!exited_) kill(pid, SIGKILL);
  }
  if (supervisor_.joinable()) supervisor_.join();
}

std::vector<std::unique_ptr<LocalEngine>> start_local_engines(GatewayConfig& config,
                                                              const std::string& executable) {
  std::vector<std::unique_ptr<LocalEngine>> engines;
  std::vector<ProviderConfig*> providers;
  for (ProviderConfig& p : config.providers) {
    if (p.model_path.empty()) continue;
    std::string served;
    for (const RoutedModel& m : config.models)
      for (const DeploymentConfig& d : m.deployments) {
        if (d.provider != p.name) continue;
        const std::string& name = d.model.empty() ? m.name : d.model;
        if (!served.empty() && served != name)
          throw Error("local provider '" + p.name + "' (line " + std::to_string(p.line) +
                      ") is deployed as both '" + served + "' and '" + name +
                      "': a local engine serves one model name; give its deployments the same "
                      "'model'");
        served = name;
      }
    if (served.empty()) served = p.name;
    LocalEngineOptions o;
    o.executable = executable;
    o.name = p.name;
    o.model_path = p.model_path;
    o.served_model_name = served;
    o.args = p.serve_args;
    if (p.api_key.empty()) p.api_key = "sk-jn-local-" + random_hex(24);
    o.api_key = p.api_key;
    engines.push_back(std::make_unique<LocalEngine>(std::move(o)));
    providers.push_back(&p);
  }
  std::vector<std::thread> starters;
  std::vector<std::string> urls(engines.size()), errors(engines.size());
  for (size_t i = 0; i < engines.size(); ++i)
    starters.emplace_back([&, i] {
      try {
        urls[i] = engines[i]->start();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : starters) t.join();
  for (size_t i = 0; i < engines.size(); ++i) {
    if (!errors[i].empty()) throw Error(errors[i]);
    providers[i]->base_url = urls[i];
  }
  return engines;
}

}  // namespace junction::gateway
