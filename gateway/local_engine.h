// A `kind: local` provider with a model_path: the gateway starts `junction serve --model PATH`
// as a child process on a loopback port and reaches it over HTTP like any other engine. The
// gateway library thus never links the engine, and a crash in the model process (or the
// kernel killing it for memory) does not take the gateway down: the supervisor restarts it
// on the same port, and meanwhile the circuit breaker and failover route around it.
#pragma once

#include <sys/types.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace junction::gateway {

struct LocalEngineOptions {
  std::string executable;  // the junction binary (run_gateway passes /proc/self/exe)
  std::string name;        // provider name, prefixes the child's log lines
  std::string model_path;
  std::string served_model_name;
  std::vector<std::string> args;  // extra `junction serve` flags (--ctx-size, --parallel, ...)
  // The key the child requires, handed over in its environment ($JUNCTION_API_KEY), not its
  // command line, which any local user can read.
  std::string api_key;
  std::chrono::seconds start_timeout{600};  // loading an 8B model from a cold disk takes a while
};

class LocalEngine {
 public:
  explicit LocalEngine(LocalEngineOptions options);
  ~LocalEngine();  // stops the child
  LocalEngine(const LocalEngine&) = delete;
  LocalEngine& operator=(const LocalEngine&) = delete;

  // Starts the child and waits until it listens (it prints that once the model is loaded);
  // returns its base URL, "http://127.0.0.1:PORT/v1". Throws junction::Error naming the log
  // tail if it exits or times out first. Then supervises it: restarts it if it dies.
  std::string start();
  // SIGTERM (the engine drains), SIGKILL after a grace period; no restart.
  void stop();

  pid_t pid() const { return pid_.load(); }
  int restarts() const { return restarts_.load(); }

 private:
  pid_t spawn(int out_fd) const;
  void supervise(int read_fd);

  LocalEngineOptions options_;
  int port_ = 0;  // 0 until the first start chose one; restarts reuse it
  std::atomic<pid_t> pid_{-1};
  std::atomic<int> restarts_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string listening_url_;  // set by the supervisor when the child says it listens
  std::string log_tail_;       // the child's last lines, for errors
  bool exited_ = false;
  std::thread supervisor_;
};

struct GatewayConfig;

// Starts a LocalEngine for every `kind: local` provider with a model_path (in parallel: each
// loads its model), fills in their base_url, and returns them; they stop when destroyed. Each
// child requires an API key, the provider's api_key or else a random one set into it: the
// child listens on a loopback port that any local process could otherwise use, bypassing the
// gateway's keys and credits.
// Every deployment of such a provider must name the same upstream model (the child serves one
// name). Throws junction::Error if one cannot start.
std::vector<std::unique_ptr<LocalEngine>> start_local_engines(GatewayConfig& config,
                                                              const std::string& executable);

}  // namespace junction::gateway
