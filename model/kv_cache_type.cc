#include "model/kv_cache_type.h"

#include <cctype>

#include "core/error.h"

namespace junction {

DType parse_kv_cache_type(std::string_view name) {
  std::string lower;
  for (const char ch : name)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  if (lower == "f32") return DType::F32;
  if (lower == "f16") return DType::F16;
  if (lower == "bf16") return DType::BF16;
  if (lower == "q8_0") return DType::Q8_0;
  throw Error("unknown KV cache type '" + std::string(name) +
              "': choose one of f32, f16, bf16, q8_0");
}

std::string kv_cache_type_name(DType type) {
  switch (type) {
    case DType::F32:
      return "f32";
    case DType::F16:
      return "f16";
    case DType::BF16:
      return "bf16";
    case DType::Q8_0:
      return "q8_0";
    default:
      return std::string(dtype_name(type));
  }
}

}  // namespace junction
