// The GGUF reader on hostile metadata, with files written byte by byte here (GGUF v3 as
// llama.cpp's gguf.cpp documents it: magic, version, tensor and key counts, then key, type,
// value). Parsed values are ~80 bytes each, so small elements inflate: the parse must refuse
// metadata that would take more memory than any real file's instead of allocating it.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/gguf.h"

namespace junction {
namespace {

class Image {
 public:
  explicit Image(uint64_t n_kv) {
    put<uint32_t>(0x46554747u);  // "GGUF"
    put<uint32_t>(3);
    put<uint64_t>(0);  // tensors
    put<uint64_t>(n_kv);
  }
  template <class T>
  void put(T v) {
    append(&v, sizeof v);
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    append(s.data(), s.size());
  }
  // key: array of `n` elements of GGUF type `element`, each `element_bytes` of `fill`.
  void put_array(const std::string& key, uint32_t element, uint64_t n, size_t element_bytes,
                 std::byte fill = std::byte{0}) {
    put_string(key);
    put<uint32_t>(9);  // array
    put<uint32_t>(element);
    put<uint64_t>(n);
    bytes_.append(n * element_bytes, static_cast<char>(fill));
  }
  std::unique_ptr<GgufFile> parse() const {
    return GgufFile::parse(reinterpret_cast<const std::byte*>(bytes_.data()), bytes_.size(),
                           "test.gguf");
  }
  size_t size() const { return bytes_.size(); }

 private:
  void append(const void* p, size_t n) { bytes_.append(static_cast<const char*>(p), n); }
  std::string bytes_;
};

constexpr uint32_t kInt8 = 1, kString = 8;

std::string error_of(const Image& image) {
  try {
    image.parse();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "parsed";
  return "";
}

TEST(Gguf, AnArrayOfTenMillionInt8IsRefusedBeforeItTakes800MB) {
  Image image(1);
  image.put_array("x.bytes", kInt8, 10'000'000, 1);  // a 10 MB file
  const std::string e = error_of(image);
  EXPECT_NE(e.find("MiB in memory"), std::string::npos) << e;
  EXPECT_NE(e.find("test.gguf"), std::string::npos) << e;
}

TEST(Gguf, AnArrayOfFourMillionEmptyStringsIsRefused) {
  Image image(1);
  image.put_array("x.strings", kString, 4'000'000, 8);  // lengths of 0: a 32 MB file
  EXPECT_NE(error_of(image).find("MiB in memory"), std::string::npos);
}

TEST(Gguf, ManyArraysAddUp) {
  Image image(8);
  for (int i = 0; i < 8; ++i) image.put_array("x." + std::to_string(i), kInt8, 500'000, 1);
  EXPECT_NE(error_of(image).find("MiB in memory"), std::string::npos);
}

TEST(Gguf, AVocabSizedArrayParsesWithItsValues) {
  Image image(2);
  image.put_array("tokenizer.ggml.token_type", kInt8, 262'144, 1, std::byte{3});
  image.put_string("tokenizer.ggml.tokens");
  image.put<uint32_t>(9);
  image.put<uint32_t>(kString);
  image.put<uint64_t>(2);
  image.put_string("hello");
  image.put_string(std::string(40, 'a'));
  const auto g = image.parse();
  ASSERT_EQ(g->find("tokenizer.ggml.token_type")->array.size(), 262'144u);
  EXPECT_EQ(g->find("tokenizer.ggml.token_type")->array.back().as_int(), 3);
  EXPECT_EQ(g->find("tokenizer.ggml.tokens")->array[1].as_string(), std::string(40, 'a'));
}

TEST(Gguf, TheQwen3VocabParses) {
  const auto g = GgufFile::open(std::string(JUNCTION_TEST_DATA) + "/gguf/qwen3-vocab-only.gguf");
  EXPECT_EQ(g->find("tokenizer.ggml.tokens")->array.size(), 151936u);
}

}  // namespace
}  // namespace junction
