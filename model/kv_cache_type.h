// The element types of a KV cache's keys and values, named as llama.cpp's --cache-type-k and
// --cache-type-v name them (f32, f16, bf16, q8_0). F32 keeps attention equal to the reference;
// F16 halves the cache (the CLI's default, as llama.cpp's), Q8_0 takes 34 bytes per 32 values.
#pragma once

#include <string>
#include <string_view>

#include "core/dtype.h"

namespace junction {

struct KvCacheType {
  DType k = DType::F32;
  DType v = DType::F32;
  bool operator==(const KvCacheType&) const = default;
};

inline constexpr KvCacheType kKvCacheF32{DType::F32, DType::F32};
inline constexpr KvCacheType kKvCacheF16{DType::F16, DType::F16};

// "f32", "f16", "bf16", "q8_0" (case-insensitive) -> the type; throws Error naming the choices
// for anything else (llama.cpp's q4_0, q4_1, iq4_nl, q5_0 and q5_1 included).
DType parse_kv_cache_type(std::string_view name);
// The llama.cpp name: "f32", "f16", "bf16", "q8_0".
std::string kv_cache_type_name(DType type);

}  // namespace junction
