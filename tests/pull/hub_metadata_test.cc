#include "pull/hub_metadata.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "pull/sha256.h"

namespace junction::pull {
namespace {

// The shape of GET https://huggingface.co/api/models/Qwen/Qwen3-8B/tree/main (abridged; the
// oids here are made up).
constexpr const char* kTree = R"([
  {"type":"file","oid":"a6344aac8c09253b3b630fb776ae94478aa0275b","size":1519,"path":".gitattributes"},
  {"type":"file","oid":"4d2f4f4d6a2a1f0b1c8e0a0b9f1e2d3c4b5a6978","size":728,"path":"config.json"},
  {"type":"file","oid":"0123456789abcdef0123456789abcdef01234567","size":3996250744,
   "lfs":{"oid":"D0F8B4C0A1E2F3A4B5C6D7E8F9A0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8","size":3996250744,
          "pointerSize":135},
   "xetHash":"abc","path":"model-00001-of-00005.safetensors"},
  {"type":"directory","oid":"ffffffffffffffffffffffffffffffffffffffff","size":0,"path":"original"}
])";

TEST(HubMetadata, ParsesTreeListing) {
  const auto files = parse_tree_listing(kTree);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[1].path, "config.json");
  EXPECT_EQ(*files[1].size, 728u);
  EXPECT_TRUE(files[1].sha256.empty());  // git blob ids are not sha256 of the content
  EXPECT_EQ(files[2].path, "model-00001-of-00005.safetensors");
  EXPECT_EQ(*files[2].size, 3996250744u);
  EXPECT_EQ(files[2].sha256, "d0f8b4c0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8");
  EXPECT_THROW(parse_tree_listing(R"({"error":"Repository not found"})"), Error);
  EXPECT_THROW(parse_tree_listing("<html>"), Error);
}

TEST(HubMetadata, Sha256FromEtag) {
  const std::string hex = "d0f8b4c0a1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8";
  EXPECT_EQ(sha256_from_etag("\"" + hex + "\""), hex);
  EXPECT_EQ(sha256_from_etag("W/\"" + hex + "\""), hex);
  EXPECT_EQ(sha256_from_etag(hex), hex);
  EXPECT_EQ(sha256_from_etag("\"a6344aac8c09253b3b630fb776ae94478aa0275b\""), "");  // git sha1
  EXPECT_EQ(sha256_from_etag("\"65f1a2b3-2d8\""), "");  // nginx's mtime-size etag
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.hex_digest(), sha256_hex("abc"));
}

}  // namespace
}  // namespace junction::pull
