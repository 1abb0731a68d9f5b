#include "http/url.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace junction::http {
namespace {

TEST(Url, ParsesPartsAndDefaultPorts) {
  Url u = parse_url("https://HuggingFace.co/Qwen/Qwen3-8B/resolve/main/config.json?x=1#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "huggingface.co");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/Qwen/Qwen3-8B/resolve/main/config.json?x=1");
  EXPECT_EQ(u.origin(), "https://huggingface.co");
  u = parse_url("http://127.0.0.1:8080");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.str(), "http://127.0.0.1:8080/");
  EXPECT_EQ(parse_url("http://h?q").target, "/?q");
  for (const char* bad : {"ftp://x/y", "huggingface.co/x", "https://", "https://u@h/",
                          "http://h:x/", "https://[::1]/"})
    EXPECT_THROW(parse_url(bad), Error) << bad;
}

TEST(Url, ResolvesEveryFormOfLocation) {
  const Url base = parse_url("https://huggingface.co/org/repo/resolve/main/model.gguf?download=1");
  EXPECT_EQ(resolve_location(base, "https://cdn-lfs.hf.co/repos/ab/cd?sig=1").str(),
            "https://cdn-lfs.hf.co/repos/ab/cd?sig=1");
  EXPECT_EQ(resolve_location(base, "//cas-bridge.xethub.hf.co/x").str(),
            "https://cas-bridge.xethub.hf.co/x");
  EXPECT_EQ(resolve_location(base, "/api/resolve-cache/models/org/repo/abc/model.gguf").str(),
            "https://huggingface.co/api/resolve-cache/models/org/repo/abc/model.gguf");
  EXPECT_EQ(resolve_location(base, "other.gguf").str(),
            "https://huggingface.co/org/repo/resolve/main/other.gguf");
  EXPECT_EQ(resolve_location(base, "?download=2").str(),
            "https://huggingface.co/org/repo/resolve/main/model.gguf?download=2");
  // A relative path whose query holds "://" is still relative.
  EXPECT_EQ(resolve_location(base, "/r?u=http://x").str(), "https://huggingface.co/r?u=http://x");
}

TEST(Url, Loopback) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("huggingface.co"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  // DNS names that only start like a loopback address resolve anywhere: plain http to them is
  // not loopback traffic.
  EXPECT_FALSE(is_loopback_host("127.evil.example"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.nip.io"));
  EXPECT_FALSE(is_loopback_host("127."));
  EXPECT_FALSE(is_loopback_host("127.0.0.256"));
}

}  // namespace
}  // namespace junction::http
