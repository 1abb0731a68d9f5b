// End-to-end pulls from a real nginx on 127.0.0.1 that serves the hub's URL layout from a temp
// folder: /{org}/{repo}/resolve/main/{file}, /api/models/{org}/{repo}/tree/main (a JSON file),
// redirects to a "CDN" on another host name (localhost), a gated repo wanting a bearer token, a
// location that ignores Range, and a TLS server with a self-signed certificate. nginx's access
// log records status, URI, Range and Authorization of every request, so tests can check what
// went over the wire. Skipped when /usr/sbin/nginx is missing (scripts/install_deps.sh).
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "core/error.h"
#include "pull/catalog.h"
#include "pull/downloader.h"
#include "pull/file_lock.h"
#include "pull/model_cache.h"
#include "pull/sha256.h"
#include "tests/support/loopback.h"
#include "tests/support/nginx_server.h"

namespace junction::pull {
namespace {

namespace fs = std::filesystem;

constexpr size_t kFileBytes = 3 << 20;  // bytes of the test GGUF

std::string make_content(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void write_file(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using test::free_port;
using test::port_open;

std::string tree_entry(const std::string& path, size_t size, const std::string& sha256) {
  std::string e = R"({"type":"file","oid":"0123456789abcdef0123456789abcdef01234567","size":)" +
                  std::to_string(size) + R"(,"path":")" + path + "\"";
  if (!sha256.empty())
    e += R"(,"lfs":{"oid":")" + sha256 + R"(","size":)" + std::to_string(size) +
         R"(,"pointerSize":134})";
  return e + "}";
}

class PullFromNginx : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::NginxServer::installed()) return;
    dir_ = fs::temp_directory_path() / ("junction-pull-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    const fs::path www = dir_ / "www";
    content_ = make_content(kFileBytes, 1);
    sha_ = sha256_hex(content_);
    const std::string gguf = "tiny-Q4_K_M.gguf";
    for (const char* repo : {"tiny-GGUF", "badsha", "norange", "gated"})
      write_file(www / "acme" / repo / "resolve/main" / gguf, content_);
    write_file(www / "cdn-files/blob", content_);
    const auto tree = [&](const std::string& repo, const std::string& entries) {
      write_file(www / "api/models/acme" / repo / "tree/main", "[" + entries + "]");
    };
    tree("tiny-GGUF", tree_entry(gguf, kFileBytes, sha_) + "," +
                          tree_entry("missing.gguf", 10, "") + "," +
                          tree_entry("README.md", 5, ""));
    tree("badsha", tree_entry(gguf, kFileBytes, sha256_hex("something else")));
    tree("norange", tree_entry(gguf, kFileBytes, sha_));
    tree("gated", tree_entry(gguf, kFileBytes, sha_));
    tree("redirect", tree_entry(gguf, kFileBytes, ""));  // sha256 only in X-Linked-Etag
    tree("redirect-bad", tree_entry(gguf, kFileBytes, ""));

    // A model folder: small files are plain git blobs (no sha256), the weights are LFS.
    const std::string weights = make_content(200'000, 2);
    std::string entries = tree_entry("model.safetensors", weights.size(), sha256_hex(weights));
    write_file(www / "acme/tiny-model/resolve/main/model.safetensors", weights);
    for (const char* f :
         {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
      const std::string text = std::string("{\"name\":\"") + f + "\"}";
      write_file(www / "acme/tiny-model/resolve/main" / f, text);
      entries += "," + tree_entry(f, text.size(), "");
    }
    entries +=
        "," + tree_entry("README.md", 5, "") + "," + tree_entry("original/params.json", 5, "");
    tree("tiny-model", entries);

    port_ = free_port();
    tls_port_ = free_port();
    const bool tls =
        std::system(("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext "
                     "subjectAltName=IP:127.0.0.1 -days 1 -keyout " +
                     (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() +
                     " >/dev/null 2>&1")
                        .c_str()) == 0;
    const std::string d = dir_.string(), p = std::to_string(port_);
    std::string conf =
        R"(  log_format t '$status $request_uri range=$http_range auth=$http_authorization loc=$sent_http_location';
  access_log )" +
        d + R"(/access.log t;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:)" +
        p + R"(;
    root )" +
        d + R"(/www;
    location /api/ { default_type application/json; }
    location ^~ /acme/norange/ { max_ranges 0; }
    # The hub's LFS redirect: a relative Location carrying the sha256, then a CDN on another host.
    location ^~ /acme/redirect/resolve/ {
      absolute_redirect off;
      add_header X-Linked-Etag '"SHA"' always;
      return 302 /cdn-hop/blob;
    }
    location ^~ /acme/redirect-bad/resolve/ {
      add_header X-Linked-Etag '"BADSHA"' always;
      return 302 /cdn-hop/blob;
    }
    location = /cdn-hop/blob { return 302 http://localhost:)" +
        p + R"(/cdn-files/blob; }
    location ^~ /cdn-files/ { if ($http_authorization != "") { return 400; } }
    location ^~ /acme/gated/resolve/ {
      if ($http_authorization != "Bearer secret") { return 401; }
      return 302 http://localhost:)" +
        p + R"(/cdn-files/blob;
    }
    location ^~ /api/models/acme/gated/ {
      default_type application/json;
      if ($http_authorization != "Bearer secret") { return 401; }
    }
  }
)";
    if (tls)
      conf += "  server {\n    listen 127.0.0.1:" + std::to_string(tls_port_) + " ssl;\n    root " +
              d + "/www;\n    ssl_certificate " + d + "/cert.pem;\n    ssl_certificate_key " + d +
              "/key.pem;\n  }\n";
    conf.replace(conf.find("BADSHA"), 6, sha256_hex("not the content"));
    conf.replace(conf.find("'\"SHA"), 5, "'\"" + sha_);
    nginx_ = std::make_unique<test::NginxServer>(dir_, conf, port_);
    tls_ready_ = tls && port_open(tls_port_);
  }

  static void TearDownTestSuite() {
    nginx_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void SetUp() override {
    if (!nginx_ || !nginx_->running())
      FAIL() << "nginx is not installed or did not start (scripts/install_deps.sh installs it)";
    cache_ = dir_ / ("cache-" +
                     std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(cache_);
    log_start_ = fs::exists(dir_ / "access.log") ? fs::file_size(dir_ / "access.log") : 0;
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  fs::path pull(const std::string& arg, const std::string& token = "", std::string ep = "",
                std::string* log_text = nullptr) {
    PullSettings settings;
    settings.endpoint = ep.empty() ? endpoint() : ep;
    settings.token = token;
    settings.cache_root = cache_;
    http::HttpClientOptions options;
    options.connect_timeout = options.read_timeout = std::chrono::seconds(5);
    http::HttpClient http(options);
    std::FILE* log = std::tmpfile();
    ProgressReporter progress(log, /*terminal=*/false);
    Downloader downloader(http, settings, progress);
    struct Closer {
      std::FILE* f;
      ~Closer() { std::fclose(f); }
    } closer{log};
    const fs::path p = downloader.pull(parse_model_ref(arg));
    if (log_text != nullptr) {
      std::rewind(log);
      char buf[4096];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, log)) > 0;) log_text->append(buf, n);
    }
    return p;
  }

  // The access log lines written since this test began.
  std::string requests() const {
    const std::string all = read_file(dir_ / "access.log");
    return all.substr(std::min<size_t>(log_start_, all.size()));
  }

  std::string pull_error(const std::string& arg, const std::string& token = "",
                         std::string ep = "") {
    try {
      pull(arg, token, ep);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  fs::path gguf_path(const std::string& repo) const {
    return cache_ / "acme" / repo / "tiny-Q4_K_M.gguf";
  }

  static inline fs::path dir_;
  static inline std::unique_ptr<test::NginxServer> nginx_;
  static inline int port_ = 0, tls_port_ = 0;
  static inline bool tls_ready_ = false;
  static inline std::string content_, sha_;
  fs::path cache_;
  uintmax_t log_start_ = 0;
};

TEST_F(PullFromNginx, DownloadsAndVerifiesSha256) {
  const fs::path p = pull("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf");
  EXPECT_EQ(p, gguf_path("tiny-GGUF"));
  EXPECT_TRUE(read_file(p) == content_);
  EXPECT_FALSE(fs::exists(p.string() + ".part"));
  EXPECT_NE(requests().find("200 /acme/tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf range=- "),
            std::string::npos)
      << requests();
  EXPECT_EQ(resolve_model_path("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", cache_), p.string());
}

// Another pull holds <file>.lock (here: this test): the pull says it is waiting, writes nothing,
// and downloads once the lock is released.
TEST_F(PullFromNginx, SecondPullOfTheSameFileWaitsForTheFirst) {
  const fs::path target = gguf_path("tiny-GGUF");
  fs::create_directories(target.parent_path());
  std::optional<FileLock> other = FileLock::acquire(target.string() + ".lock");
  std::string log, error;
  fs::path got;
  std::thread second([&] {
    try {
      got = pull("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", "", "", &log);
    } catch (const Error& e) {
      error = e.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(target.string() + ".part"));
  EXPECT_EQ(requests().find("/resolve/main/"), std::string::npos) << requests();
  other.reset();
  second.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(got, target);
  EXPECT_TRUE(read_file(target) == content_);
  EXPECT_FALSE(fs::exists(target.string() + ".lock"));
  EXPECT_NE(
      log.find("waiting: another junction pull is downloading acme/tiny-GGUF/tiny-Q4_K_M.gguf"),
      std::string::npos)
      << log;
}

TEST_F(PullFromNginx, ResumesAPartWithARangeRequest) {
  write_file(gguf_path("tiny-GGUF").string() + ".part", content_.substr(0, 1 << 20));
  const fs::path p = pull("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf");
  EXPECT_TRUE(read_file(p) == content_);
  EXPECT_NE(
      requests().find("206 /acme/tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf range=bytes=1048576-"),
      std::string::npos)
      << requests();
}

TEST_F(PullFromNginx, ServerIgnoringRangeRestartsFromZero) {
  write_file(gguf_path("norange").string() + ".part", content_.substr(0, 1 << 20));
  const fs::path p = pull("hf://acme/norange/tiny-Q4_K_M.gguf");
  EXPECT_TRUE(read_file(p) == content_);
  EXPECT_NE(requests().find("200 /acme/norange/resolve/main/tiny-Q4_K_M.gguf range=bytes=1048576-"),
            std::string::npos)
      << requests();
}

TEST_F(PullFromNginx, CompletePartIsVerifiedAndRenamedWithoutDownloading) {
  write_file(gguf_path("tiny-GGUF").string() + ".part", content_);
  EXPECT_TRUE(read_file(pull("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf")) == content_);
  EXPECT_EQ(requests().find("/resolve/"), std::string::npos) << requests();
}

TEST_F(PullFromNginx, CorruptPartFailsVerificationAndIsDeleted) {
  const fs::path part = gguf_path("tiny-GGUF").string() + ".part";
  write_file(part, std::string(1 << 20, '\0'));
  const std::string error = pull_error("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf");
  EXPECT_NE(error.find("sha256 mismatch"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(part));
  EXPECT_FALSE(fs::exists(gguf_path("tiny-GGUF")));
  EXPECT_TRUE(read_file(pull("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf")) == content_);
}

TEST_F(PullFromNginx, Sha256MismatchIsRejected) {
  const std::string error = pull_error("hf://acme/badsha/tiny-Q4_K_M.gguf");
  EXPECT_NE(error.find("sha256 mismatch for acme/badsha/tiny-Q4_K_M.gguf"), std::string::npos)
      << error;
  EXPECT_NE(error.find(sha_), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(gguf_path("badsha")));
  EXPECT_FALSE(fs::exists(gguf_path("badsha").string() + ".part"));
}

TEST_F(PullFromNginx, NotFoundErrorsAreClear) {
  std::string error = pull_error("hf://acme/tiny-GGUF/missing.gguf");  // listed, not served
  EXPECT_NE(error.find("not found (HTTP 404"), std::string::npos) << error;
  error = pull_error("hf://acme/tiny-GGUF/other.gguf");
  EXPECT_NE(error.find("its GGUF files are: tiny-Q4_K_M.gguf"), std::string::npos) << error;
  error = pull_error("hf://acme/no-such-repo");
  EXPECT_NE(error.find("listing acme/no-such-repo: not found"), std::string::npos) << error;
}

TEST_F(PullFromNginx, FollowsRedirectsAndTakesSha256FromXLinkedEtag) {
  const fs::path p = pull("hf://acme/redirect/tiny-Q4_K_M.gguf", "secret");
  EXPECT_TRUE(read_file(p) == content_);
  const std::string log = requests();
  // A relative Location first, then an absolute one to another host.
  EXPECT_NE(log.find("302 /acme/redirect/resolve/main/tiny-Q4_K_M.gguf range=- auth=Bearer secret "
                     "loc=/cdn-hop/blob\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("302 /cdn-hop/blob range=- auth=Bearer secret loc=http://localhost:" +
                     std::to_string(port_) + "/cdn-files/blob\n"),
            std::string::npos)
      << log;
  // The token stays with the hub's host; the CDN (localhost) gets none.
  EXPECT_NE(log.find("200 /cdn-files/blob range=- auth=- loc=-\n"), std::string::npos) << log;
}

TEST_F(PullFromNginx, WrongXLinkedEtagIsRejected) {
  const std::string error = pull_error("hf://acme/redirect-bad/tiny-Q4_K_M.gguf");
  EXPECT_NE(error.find("sha256 mismatch"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(gguf_path("redirect-bad")));
}

TEST_F(PullFromNginx, GatedRepoNeedsToken) {
  const std::string error = pull_error("hf://acme/gated/tiny-Q4_K_M.gguf");
  EXPECT_NE(error.find("HTTP 401"), std::string::npos) << error;
  EXPECT_NE(error.find("set HF_TOKEN"), std::string::npos) << error;
  EXPECT_NE(error.find("accept the model licence at " + endpoint() + "/acme/gated"),
            std::string::npos)
      << error;
  EXPECT_TRUE(read_file(pull("hf://acme/gated/tiny-Q4_K_M.gguf", "secret")) == content_);
}

TEST_F(PullFromNginx, ModelFolderGetsOnlyModelFiles) {
  const fs::path p = pull("hf://acme/tiny-model");
  EXPECT_EQ(p, cache_ / "acme/tiny-model");
  for (const char* f : {"config.json", "generation_config.json", "tokenizer.json",
                        "tokenizer_config.json", "model.safetensors"})
    EXPECT_TRUE(fs::is_regular_file(p / f)) << f;
  EXPECT_FALSE(fs::exists(p / "README.md"));
  EXPECT_FALSE(fs::exists(p / "original"));
  EXPECT_EQ(read_file(p / "config.json"), "{\"name\":\"config.json\"}");
  EXPECT_EQ(resolve_model_path("hf://acme/tiny-model", cache_), p.string());
}

TEST_F(PullFromNginx, ConnectionRefusedSaysOfflineAndWhereTheCacheIs) {
  const std::string ep = "http://127.0.0.1:" + std::to_string(free_port());
  const std::string error = pull_error("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", "", ep);
  EXPECT_NE(error.find("cannot reach 127.0.0.1"), std::string::npos) << error;
  EXPECT_NE(error.find("onnection refused"), std::string::npos) << error;
  EXPECT_NE(error.find("cache at " + cache_.string()), std::string::npos) << error;
}

TEST_F(PullFromNginx, PlainHttpToARemoteHostIsRefused) {
  const std::string error =
      pull_error("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", "", "http://example.invalid");
  EXPECT_NE(error.find("refusing plain http"), std::string::npos) << error;
}

TEST_F(PullFromNginx, UntrustedCertificateIsRefused) {
  if (!tls_ready_)
    FAIL()
        << "openssl could not make a test certificate (scripts/install_deps.sh installs openssl)";
  const std::string ep = "https://127.0.0.1:" + std::to_string(tls_port_);
  const std::string error = pull_error("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", "", ep);
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
}

TEST_F(PullFromNginx, HttpsWithATrustedCertificateDownloads) {
  if (!tls_ready_)
    FAIL()
        << "openssl could not make a test certificate (scripts/install_deps.sh installs openssl)";
  // OpenSSL's default verify paths honour SSL_CERT_FILE: trust only the test certificate.
  ::setenv("SSL_CERT_FILE", (dir_ / "cert.pem").c_str(), 1);
  const std::string ep = "https://127.0.0.1:" + std::to_string(tls_port_);
  const std::string error = pull_error("hf://acme/tiny-GGUF/tiny-Q4_K_M.gguf", "", ep);
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(error, "(no error)");
  EXPECT_TRUE(read_file(gguf_path("tiny-GGUF")) == content_);
}

}  // namespace
}  // namespace junction::pull
