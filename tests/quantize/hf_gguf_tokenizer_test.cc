// hf_tokenizer_metadata through `junction quantize`: a Hugging Face folder with a SentencePiece
// tokenizer.model (Llama 2, Mistral, Gemma, Phi-3 ship one) becomes llama.cpp's "llama"
// vocabulary, as convert_hf_to_gguf.py writes it. The references are independent of our code:
// sentencepiece's own ids and decodings of 99-102 texts (tests/data/tokenizer/spm/*.encode.json)
// must come out of our GGUF tokenizer (tokenizer_from_gguf) on the file written; spm_train's
// listing (*.vocab) gives the pieces and scores; the token types, padding, special ids and flags
// are the converter's rules, worked by hand for each folder. llama.cpp's own tokenizer on the same
// files gives the same ids (tests/data/tokenizer/spm/README.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/gguf.h"
#include "quantize/hf_gguf_tokenizer.h"
#include "quantize/quantize_model.h"
#include "tokenizer/gguf_vocab.h"

namespace junction {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
const std::string kData = std::string(JUNCTION_TEST_DATA) + "/";

// A copy of a tiny fixture model (config.json, model.safetensors) plus `files` (name -> text) and
// tokenizer.model copied from tests/data/tokenizer/spm/<spm>.model (none when empty).
fs::path make_folder(const std::string& name, const std::string& fixture, const std::string& spm,
                     const std::map<std::string, std::string>& files) {
  const fs::path dir =
      fs::temp_directory_path() / ("junction_spm_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* f : {"config.json", "model.safetensors"})
    fs::copy_file(kData + "models/" + fixture + "/" + f, dir / f);
  if (!spm.empty())
    fs::copy_file(kData + "tokenizer/spm/" + spm + ".model", dir / "tokenizer.model");
  for (const auto& [file, text] : files) std::ofstream(dir / file) << text;
  return dir;
}

std::unique_ptr<GgufFile> quantize_folder(const fs::path& dir) {
  const std::string out = dir.string() + ".gguf";
  QuantizeOptions options;
  options.type = "f16";
  quantize_model(dir.string(), out, options);
  auto g = GgufFile::open(out);
  fs::remove(out);  // the mapping stays valid
  return g;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

std::vector<std::string> strings(const GgufFile& g, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& v : g.find(key)->array) out.push_back(v.as_string());
  return out;
}
std::vector<int64_t> ints(const GgufFile& g, const std::string& key) {
  std::vector<int64_t> out;
  for (const auto& v : g.find(key)->array) out.push_back(v.as_int());
  return out;
}
std::vector<double> doubles(const GgufFile& g, const std::string& key) {
  std::vector<double> out;
  for (const auto& v : g.find(key)->array) out.push_back(v.as_double());
  return out;
}

// Every text of `<spm>.encode.json` encodes (no BOS) to sentencepiece's ids and decodes back to
// sentencepiece's text.
void expect_sentencepiece_encodings(const GgufFile& g, const std::string& spm) {
  const tokenizer::Tokenizer t = tokenizer::tokenizer_from_gguf(g);
  const json cases = read_json(kData + "tokenizer/spm/" + spm + ".encode.json")["cases"];
  ASSERT_GE(cases.size(), 99u);
  size_t equal = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const std::vector<int32_t> ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(t.encode(text), ids) << spm << ": " << json(text).dump();
    EXPECT_EQ(t.decode(ids), c["decoded"].get<std::string>()) << spm << ": " << json(text).dump();
    equal += t.encode(text) == ids;
  }
  std::printf("%s: %zu of %zu texts encode to sentencepiece's ids\n", spm.c_str(), equal,
              cases.size());
}

// Types by gguf.TokenType.
constexpr int64_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

TEST(HfGgufTokenizer, LlamaSentencePieceFolderGivesSentencePiecesIds) {
  const fs::path dir = make_folder("llama", "llama-tiny-f16", "llama-spm",
                                   {{"tokenizer_config.json",
                                     R"({"add_bos_token": true, "add_eos_token": false,
                                         "bos_token": "<s>", "eos_token": "</s>",
                                         "unk_token": "<unk>", "legacy": true,
                                         "chat_template": "{{ messages }}"})"}});
  const auto g = quantize_folder(dir);
  EXPECT_EQ(g->get_string("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(g->get_string("tokenizer.ggml.pre"), "default");
  const auto tokens = strings(*g, "tokenizer.ggml.tokens");
  const auto types = ints(*g, "tokenizer.ggml.token_type");
  const auto scores = doubles(*g, "tokenizer.ggml.scores");
  // config.json's vocab_size 2048 over 600 pieces: [PAD600].. [PAD2047], UNUSED, -10000.
  ASSERT_EQ(tokens.size(), 2048u);
  ASSERT_EQ(types.size(), 2048u);
  ASSERT_EQ(scores.size(), 2048u);
  std::ifstream vocab(kData + "tokenizer/spm/llama-spm.vocab");
  size_t id = 0;
  for (std::string line; std::getline(vocab, line); ++id) {
    EXPECT_EQ(tokens[id], line.substr(0, line.rfind('\t'))) << id;
    EXPECT_EQ(scores[id], std::stof(line.substr(line.rfind('\t') + 1))) << id;
  }
  EXPECT_EQ(id, 600u);
  EXPECT_EQ(types[0], kUnknown);
  EXPECT_EQ(types[1], kControl);
  EXPECT_EQ(types[2], kControl);
  EXPECT_EQ(types[3], kByte);
  EXPECT_EQ(types[258], kByte);
  EXPECT_EQ(types[259], kNormal);
  EXPECT_EQ(types[599], kNormal);
  for (size_t i = 600; i < 2048; ++i) {
    EXPECT_EQ(tokens[i], "[PAD" + std::to_string(i) + "]");
    EXPECT_EQ(types[i], kUnused);
    EXPECT_EQ(scores[i], -10000.0);
  }
  // No tokenizer.json, so no added tokens to find "<s>" among: the ids come from config.json
  // (bos 1, eos 2; it has no unk_token_id); the flags and template from tokenizer_config.json.
  EXPECT_EQ(g->get_int("tokenizer.ggml.bos_token_id"), 1);
  EXPECT_EQ(g->get_int("tokenizer.ggml.eos_token_id"), 2);
  EXPECT_EQ(g->find("tokenizer.ggml.unknown_token_id"), nullptr);
  EXPECT_EQ(g->find("tokenizer.ggml.add_space_prefix"), nullptr);  // llama.cpp's default: true
  EXPECT_EQ(g->get_string("tokenizer.chat_template"), "{{ messages }}");
  expect_sentencepiece_encodings(*g, "llama-spm");
  const tokenizer::Tokenizer t = tokenizer::tokenizer_from_gguf(*g);
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.encode("Hello", true).front(), 1);
  fs::remove_all(dir);
}

// Gemma: no dummy prefix (add_space_prefix false), the turn markers CONTROL through
// added_tokens_decoder, special ids found among tokenizer.json's added tokens, eot 107.
TEST(HfGgufTokenizer, GemmaSentencePieceFolderGivesSentencePiecesIds) {
  json decoder = json::object();
  const std::vector<std::string> specials = {"<pad>",           "</s>",         "<s>", "<unk>",
                                             "<start_of_turn>", "<end_of_turn>"};
  json added = json::array();
  for (size_t i = 0; i < specials.size(); ++i) {
    decoder[std::to_string(i)] = {{"content", specials[i]}, {"special", true}};
    added.push_back({{"id", i}, {"content", specials[i]}, {"special", true}});
  }
  const json tc = {{"add_bos_token", true},
                   {"add_eos_token", false},
                   {"added_tokens_decoder", decoder},
                   {"bos_token", "<s>"},
                   {"eos_token", "</s>"},
                   {"pad_token", "<pad>"},
                   {"unk_token", "<unk>"},
                   {"chat_template", "{{ bos_token }}"}};
  const json tok = {
      {"added_tokens", added},
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"vocab", json::object()}}}};
  const fs::path dir =
      make_folder("gemma", "gemma-tiny-f32", "gemma-spm",
                  {{"tokenizer_config.json", tc.dump()}, {"tokenizer.json", tok.dump()}});
  const auto g = quantize_folder(dir);
  const auto types = ints(*g, "tokenizer.ggml.token_type");
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(types[i], kControl) << i;
  EXPECT_EQ(types[6], kByte);
  EXPECT_EQ(g->get_int("tokenizer.ggml.bos_token_id"), 2);
  EXPECT_EQ(g->get_int("tokenizer.ggml.eos_token_id"), 1);
  EXPECT_EQ(g->get_int("tokenizer.ggml.unknown_token_id"), 3);
  EXPECT_EQ(g->get_int("tokenizer.ggml.padding_token_id"), 0);
  EXPECT_EQ(g->get_int("tokenizer.ggml.eot_token_id"), 107);  // GemmaModel.set_vocab's constant
  const GgufValue* prefix = g->find("tokenizer.ggml.add_space_prefix");
  ASSERT_NE(prefix, nullptr);
  EXPECT_EQ(std::get<bool>(prefix->scalar), false);
  // The keys in the converter's order.
  std::vector<std::string> keys;
  for (const auto& [key, _] : hf_tokenizer_metadata(dir.string())) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{
                "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
                "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
                "tokenizer.ggml.padding_token_id", "tokenizer.ggml.add_bos_token",
                "tokenizer.ggml.add_eos_token", "tokenizer.chat_template",
                "tokenizer.ggml.eot_token_id", "tokenizer.ggml.add_space_prefix"}));
  expect_sentencepiece_encodings(*g, "gemma-spm");
  fs::remove_all(dir);
}

// Phi-3: added tokens from tokenizer_config.json and tokenizer.json over the padding, USER_DEFINED
// unless marked special, their text as it is (Phi3MiniModel.set_vocab).
TEST(HfGgufTokenizer, Phi3AddedTokensFollowPhi3MiniModel) {
  const json tc = {{"add_bos_token", false},
                   {"bos_token", "<s>"},
                   {"eos_token", "<|endoftext|>"},
                   {"added_tokens_decoder",
                    {{"600", {{"content", "<|endoftext|>"}, {"special", true}}},
                     {"601", {{"content", "\xe2\x96\x81x"}, {"special", false}}},
                     {"5000", {{"content", "<|far|>"}, {"special", true}}}}}};
  const json tok = {
      {"added_tokens",
       {{{"id", 1}, {"content", "<s>"}, {"special", true}},
        {{"id", 600}, {"content", "<|endoftext|>"}, {"special", true}},
        {{"id", 602}, {"content", "<|end|>"}, {"special", false}}}},
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"vocab", json::object()}}}};
  const fs::path dir = make_folder("phi3", "phi3-tiny-f32", "llama-spm",
                                   {{"tokenizer_config.json", tc.dump()},
                                    {"tokenizer.json", tok.dump()},
                                    {"added_tokens.json", R"({"<|added|>": 603})"}});
  const auto g = quantize_folder(dir);
  const auto tokens = strings(*g, "tokenizer.ggml.tokens");
  const auto types = ints(*g, "tokenizer.ggml.token_type");
  const auto scores = doubles(*g, "tokenizer.ggml.scores");
  EXPECT_EQ(tokens[600], "<|endoftext|>");
  EXPECT_EQ(types[600], kControl);
  EXPECT_EQ(scores[600], -1000.0);
  EXPECT_EQ(tokens[601], "\xe2\x96\x81x");  // Phi-3's rule keeps the ▁
  EXPECT_EQ(types[601], kUserDefined);
  EXPECT_EQ(tokens[602], "<|end|>");
  EXPECT_EQ(types[602], kUserDefined);  // special false, though it looks special
  EXPECT_EQ(tokens[603], "<|added|>");
  EXPECT_EQ(types[603], kUserDefined);
  EXPECT_EQ(tokens[604], "[PAD604]");
  EXPECT_EQ(types[1], kControl);  // <s> stays CONTROL (tokenizer.json marks it special)
  EXPECT_EQ(g->get_int("tokenizer.ggml.bos_token_id"), 1);
  EXPECT_EQ(g->get_int("tokenizer.ggml.eos_token_id"), 600);
  const GgufValue* add_bos = g->find("tokenizer.ggml.add_bos_token");
  ASSERT_NE(add_bos, nullptr);
  EXPECT_EQ(std::get<bool>(add_bos->scalar), false);
  fs::remove_all(dir);
}

// The other SentencePiece rule (Llama, Gemma): a USER_DEFINED added token's ▁ becomes a space, and
// a text that looks special is CONTROL though not marked special; tokenizer_config's
// add_prefix_space reaches add_space_prefix.
TEST(HfGgufTokenizer, LlamaAddedTokensFollowCreateVocabSentencepiece) {
  const json tc = {{"add_prefix_space", false},
                   {"added_tokens_decoder",
                    {{"600", {{"content", "\xe2\x96\x81x"}, {"special", false}}},
                     {"601", {{"content", "<|im_end|>"}, {"special", false}}}}}};
  const fs::path dir = make_folder("llama_added", "llama-tiny-f16", "llama-spm",
                                   {{"tokenizer_config.json", tc.dump()}});
  const auto g = quantize_folder(dir);
  const auto tokens = strings(*g, "tokenizer.ggml.tokens");
  const auto types = ints(*g, "tokenizer.ggml.token_type");
  EXPECT_EQ(tokens[600], " x");
  EXPECT_EQ(types[600], kUserDefined);
  EXPECT_EQ(tokens[601], "<|im_end|>");
  EXPECT_EQ(types[601], kControl);
  const GgufValue* prefix = g->find("tokenizer.ggml.add_space_prefix");
  ASSERT_NE(prefix, nullptr);
  EXPECT_EQ(std::get<bool>(prefix->scalar), false);
  fs::remove_all(dir);
}

// A Llama 3 tokenizer.json (byte-level BPE, its regex splitting digits in threes, ignore_merges)
// is llama.cpp's "llama-bpe" pre-tokenizer, as the converter's hash table names Meta-Llama-3-8B's;
// "default" (GPT-2's regex) would keep "1234" one word. Worked by hand: with Llama 3's regex the
// words are "123" and "4", and "123" is a vocabulary token, taken whole (ignore_merges); GPT-2's
// would merge 3+4, 1+2, 12+34 into "1234".
TEST(HfGgufTokenizer, Llama3PreTokenizerIsLlamaBpe) {
  const json tok = {
      {"model",
       {{"type", "BPE"},
        {"ignore_merges", true},
        {"vocab",
         {{"1", 0}, {"2", 1}, {"3", 2}, {"4", 3}, {"12", 4}, {"123", 5}, {"34", 6}, {"1234", 7}}},
        {"merges", {"3 4", "1 2", "12 34"}}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern",
            {{"Regex",
              "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
              "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}}},
           {"behavior", "Isolated"},
           {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}}};
  const fs::path dir =
      make_folder("llama3", "llama-tiny-f16", "", {{"tokenizer.json", tok.dump()}});
  const auto g = quantize_folder(dir);
  EXPECT_EQ(g->get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(g->get_string("tokenizer.ggml.pre"), "llama-bpe");
  const tokenizer::Tokenizer t = tokenizer::tokenizer_from_gguf(*g);
  EXPECT_EQ(t.encode("1234"), (std::vector<int32_t>{5, 3}));
  // "123" whole; "412": 4, then 1 + 2; "34" whole. llama.cpp gives the same on this file.
  EXPECT_EQ(t.encode("12341234"), (std::vector<int32_t>{5, 3, 4, 6}));
  fs::remove_all(dir);
}

// A tokenizer.model that is not one, a vocab_size past any vocabulary, a malformed
// added_tokens_decoder: junction::Error naming the file, no output.
TEST(HfGgufTokenizer, HostileFilesAreClearErrors) {
  auto expect_error = [](const fs::path& dir, const std::string& needle) {
    try {
      hf_tokenizer_metadata(dir.string());
      ADD_FAILURE() << "converted " << dir;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    fs::remove_all(dir);
  };
  fs::path dir = make_folder("garbage", "llama-tiny-f16", "", {{"tokenizer.model", "garbage"}});
  expect_error(dir, "tokenizer.model");
  dir = make_folder("decoder", "llama-tiny-f16", "llama-spm",
                    {{"tokenizer_config.json", R"({"added_tokens_decoder": {"x": {}}})"}});
  expect_error(dir, "added_tokens_decoder");
  dir = make_folder("vocab", "llama-tiny-f16", "llama-spm", {});
  json config = read_json((dir / "config.json").string());
  config["vocab_size"] = int64_t{1} << 40;
  std::ofstream(dir / "config.json") << config.dump();
  expect_error(dir, "vocab_size");
}

// A SentencePiece tokenizer.json with no tokenizer.model beside it is refused, saying what to do.
TEST(HfGgufTokenizer, SentencePieceTokenizerJsonAloneIsRefused) {
  const fs::path dir = make_folder(
      "json_only", "mistral-tiny-bf16", "",
      {{"tokenizer.json",
        R"({"model":{"type":"BPE","byte_fallback":true,"vocab":{"<unk>":0},"merges":[]}})"}});
  try {
    hf_tokenizer_metadata(dir.string());
    ADD_FAILURE() << "converted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--tokenizer-from"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace junction
