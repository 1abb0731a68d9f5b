// The safetensors parser on good files and on hostile ones: every truncation, lying headers,
// offsets outside the file, shapes that disagree with the byte count. Errors, never crashes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "formats/safetensors.h"

namespace junction {
namespace {

std::vector<std::byte> file_image(const std::string& header, size_t data_bytes) {
  std::vector<std::byte> out(8 + header.size() + data_bytes, std::byte{0});
  uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

std::vector<SafetensorsTensor> parse(const std::vector<std::byte>& image) {
  return parse_safetensors(image.data(), image.size(), "test.safetensors");
}

const std::string kGood =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
    R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})";

TEST(Safetensors, ParsesValidHeader) {
  const auto image = file_image(kGood, 20);
  const auto tensors = parse(image);
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].name, "a");
  EXPECT_EQ(tensors[0].dtype, DType::BF16);
  EXPECT_EQ(tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tensors[0].data, image.data() + 8 + kGood.size());
  EXPECT_EQ(tensors[1].bytes, 8u);
}

TEST(Safetensors, EveryTruncationIsAnErrorNotACrash) {
  const auto image = file_image(kGood, 20);
  for (size_t n = 0; n < image.size(); ++n) {
    std::vector<std::byte> cut(image.begin(), image.begin() + n);
    EXPECT_THROW(parse(cut), Error) << "truncated to " << n << " bytes";
  }
}

TEST(Safetensors, RejectsHostileHeaders) {
  const std::vector<std::pair<std::string, size_t>> bad = {
      {R"([1,2,3])", 0},
      {R"({"a":5})", 0},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}})", 9},    // bytes != shape
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8},    // begin > end
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4},    // past the end
      {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8},   // negative dim
      {R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8},  // fractional dim
      {R"({"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}})", 2},     // unsupported dtype
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8},      // short offsets
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})",
       8},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8},  // no dtype
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})", 8},
      {"{not json", 0},
  };
  for (const auto& [header, data] : bad)
    EXPECT_THROW(parse(file_image(header, data)), Error) << header;
}

// Tensors are read in place from the mapped file: data off its element alignment would be a
// misaligned load (UndefinedBehaviorSanitizer reports it), so it is refused.
TEST(Safetensors, RejectsDataOffItsElementAlignment) {
  // `header` padded with spaces (as safetensors writes it) so that the data starts at a multiple
  // of 8 bytes in the file, plus `extra` spaces.
  auto padded = [](std::string header, size_t extra) {
    header.append((8 - (8 + header.size()) % 8) % 8 + extra, ' ');
    return header;
  };
  const std::string f32_at_2 = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})";
  try {
    parse(file_image(padded(f32_at_2, 0), 8));
    ADD_FAILURE() << "a misaligned F32 tensor parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("misaligned"), std::string::npos) << e.what();
  }
  // An aligned offset parses; the same tensor behind an unpadded header (data at an odd byte)
  // does not.
  const std::string f32_at_4 = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_EQ(parse(file_image(padded(f32_at_4, 0), 8)).size(), 1u);
  EXPECT_THROW(parse(file_image(padded(f32_at_4, 1), 8)), Error);
  const std::string bf16 = R"({"a":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}})";
  EXPECT_EQ(parse(file_image(padded(bf16, 0), 4)).size(), 1u);
  EXPECT_THROW(parse(file_image(padded(bf16, 3), 4)), Error);
}

TEST(Safetensors, RejectsHeaderLengthBeyondFile) {
  auto image = file_image(kGood, 20);
  const uint64_t huge = ~0ull;
  std::memcpy(image.data(), &huge, 8);
  EXPECT_THROW(parse(image), Error);
}

TEST(Safetensors, WriteThenReadRoundTrips) {
  const auto dir = std::filesystem::temp_directory_path() / "junction_safetensors_test";
  std::filesystem::create_directories(dir);
  const float values[3] = {1.5f, -2.0f, 3.25f};
  write_safetensors((dir / "model.safetensors").string(), {{"w", DType::F32, {3}, values}});
  auto checkpoint = SafetensorsCheckpoint::open(dir.string());
  const SafetensorsTensor* t = checkpoint->find("w");
  ASSERT_NE(t, nullptr);
  float read[3];
  std::memcpy(read, t->data, 12);
  EXPECT_EQ(read[2], 3.25f);
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, ShardIndexMustNameRealFiles) {
  const auto dir = std::filesystem::temp_directory_path() / "junction_shard_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map":{"w":"../../etc/passwd"}})";
  EXPECT_THROW(SafetensorsCheckpoint::open(dir.string()), Error);
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"weight_map":{"w":"missing.safetensors"}})";
  EXPECT_THROW(SafetensorsCheckpoint::open(dir.string()), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace junction
