// GgufWriter: every metadata type and tensor data round-trip through our reader, with the
// alignment and padding gguf-py and llama.cpp use.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace junction {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("junction_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(GgufWriter, MetadataOfEveryTypeAndAlignedTensorsRoundTrip) {
  const std::string path = temp_path("writer.gguf");
  {
    GgufWriter w(path);
    w.add("general.architecture", gguf_string("qwen3"));
    GgufValue u8;
    u8.type = GgufValue::Type::kUint8;
    u8.scalar = uint64_t{200};
    w.add("t.u8", u8);
    GgufValue i16;
    i16.type = GgufValue::Type::kInt16;
    i16.scalar = int64_t{-1234};
    w.add("t.i16", i16);
    w.add("t.u32", gguf_uint32(4000000000u));
    w.add("t.i32", gguf_int32(-7));
    w.add("t.u64", gguf_uint64(1ull << 40));
    w.add("t.f32", gguf_float32(1e-6f));
    GgufValue f64;
    f64.type = GgufValue::Type::kFloat64;
    f64.scalar = 3.25;
    w.add("t.f64", f64);
    w.add("t.bool", gguf_bool(true));
    w.add("t.strings", gguf_string_array({"a", "", "ĠĠ x"}));
    w.add("t.empty_strings", gguf_string_array({}));
    w.add("t.ints", gguf_int32_array({1, -2, 3}));
    w.add("t.floats", gguf_float32_array({0.5f, -1.5f}));
    w.add("t.u32", gguf_uint32(5));             // replaces in place
    w.add_tensor({"a", DType::F32, {3}});       // 12 bytes -> padded to 32
    w.add_tensor({"b", DType::F16, {5, 2}});    // 20 bytes
    w.add_tensor({"c", DType::Q8_0, {64, 1}});  // 68 bytes
    w.write_header();
    const float a[3] = {1, 2, 3};
    w.write_data(a, sizeof(a));
    std::vector<uint16_t> b(10, 0x3c00);
    w.write_data(b.data(), 7);  // pieces of any size, across tensor boundaries
    std::vector<std::byte> rest(13 + 68, std::byte{0x11});
    w.write_data(b.data() + 3, 13);  // rest of b (bytes 7..19 of b's 20 bytes, shifted by one byte)
    w.write_data(rest.data(), 68);
    w.finish();
  }
  const auto g = GgufFile::open(path);
  EXPECT_EQ(g->version(), 3u);
  EXPECT_EQ(g->metadata().size(), 13u);
  EXPECT_EQ(g->get_int("t.u8"), 200);
  EXPECT_EQ(g->get_int("t.i16"), -1234);
  EXPECT_EQ(g->get_int("t.u32"), 5);
  EXPECT_EQ(g->find("t.u32")->type, GgufValue::Type::kUint32);
  EXPECT_EQ(g->get_int("t.i32"), -7);
  EXPECT_EQ(g->get_int("t.u64"), int64_t{1} << 40);
  EXPECT_EQ(static_cast<float>(*g->get_double("t.f32")), 1e-6f);
  EXPECT_EQ(g->get_double("t.f64"), 3.25);
  EXPECT_EQ(std::get<bool>(g->find("t.bool")->scalar), true);
  const GgufValue* s = g->find("t.strings");
  ASSERT_EQ(s->array.size(), 3u);
  EXPECT_EQ(s->array[2].as_string(), "ĠĠ x");
  EXPECT_EQ(g->find("t.empty_strings")->array.size(), 0u);
  EXPECT_EQ(g->find("t.ints")->array[1].as_int(), -2);
  EXPECT_EQ(g->find("t.floats")->array[1].as_double(), -1.5);
  ASSERT_EQ(g->tensors().size(), 3u);
  const std::byte* base = g->tensors()[0].data;
  EXPECT_EQ(g->tensors()[1].data - base, 32);
  EXPECT_EQ(g->tensors()[2].data - base, 64);
  EXPECT_EQ(g->tensors()[2].bytes, 68u);
  EXPECT_EQ(reinterpret_cast<const float*>(base)[2], 3.0f);
  // The last tensor is padded too, so the file ends on the alignment.
  EXPECT_EQ(g->file_bytes() % 32, 0u);
  std::filesystem::remove(path);
}

TEST(GgufWriter, RefusesMissingOrExtraData) {
  const std::string path = temp_path("short.gguf");
  GgufWriter w(path);
  w.add_tensor({"a", DType::F32, {4}});
  w.write_header();
  const float x[5] = {};
  EXPECT_THROW(w.write_data(x, sizeof(x)), Error);
  std::filesystem::remove(path);
  GgufWriter w2(path);
  w2.add_tensor({"a", DType::F32, {4}});
  w2.write_header();
  w2.write_data(x, 8);
  EXPECT_THROW(w2.finish(), Error);
  EXPECT_THROW(GgufWriter(path).add_tensor({"q", DType::Q4_K, {100, 2}}), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace junction
