// Post-processor implementations; see post_processor.h.
#include "tokenizer/post_processor.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace junction::tokenizer {
namespace {

// The ids before and after the sequence.
class Wrap : public PostProcessor {
 public:
  Wrap(std::vector<int32_t> before, std::vector<int32_t> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  void process(std::vector<int32_t>& ids) const override {
    ids.insert(ids.begin(), before_.begin(), before_.end());
    ids.insert(ids.end(), after_.begin(), after_.end());
  }

 private:
  std::vector<int32_t> before_, after_;
};

class Sequence : public PostProcessor {
 public:
  explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& step : steps_) step->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

std::unique_ptr<PostProcessor> make_template(const nlohmann::json& json, const std::string& where) {
  const auto& single = json.value("single", nlohmann::json());
  const auto& specials = json.value("special_tokens", nlohmann::json::object());
  if (!single.is_array()) throw Error(where + ".single: expected an array");
  std::vector<int32_t> before, after;
  bool seen_sequence = false;
  for (const auto& piece : single) {
    if (piece.contains("Sequence")) {
      seen_sequence = true;
      continue;
    }
    if (!piece.contains("SpecialToken") || !piece["SpecialToken"].contains("id")) {
      throw Error(where + ".single: expected Sequence or SpecialToken pieces");
    }
    const std::string name = piece["SpecialToken"]["id"].get<std::string>();
    if (!specials.contains(name) || !specials[name].contains("ids")) {
      throw Error(where + ".special_tokens: '" + name + "' is not defined");
    }
    for (const auto& id : specials[name]["ids"]) {
      (seen_sequence ? after : before).push_back(id.get<int32_t>());
    }
  }
  return std::make_unique<Wrap>(std::move(before), std::move(after));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const nlohmann::json& json,
                                                   const std::string& where) {
  if (json.is_null()) return nullptr;
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    throw Error(where + ": expected an object with a \"type\"");
  }
  const std::string type = json["type"].get<std::string>();
  try {
    if (type == "ByteLevel") return nullptr;
    if (type == "TemplateProcessing") return make_template(json, where);
    if (type == "BertProcessing" || type == "RobertaProcessing") {
      // "cls": ["<s>", 0], "sep": ["</s>", 2]
      return std::make_unique<Wrap>(std::vector<int32_t>{json["cls"][1].get<int32_t>()},
                                    std::vector<int32_t>{json["sep"][1].get<int32_t>()});
    }
    if (type == "Sequence") {
      std::vector<std::unique_ptr<PostProcessor>> steps;
      const auto& list = json.at("processors");
      for (size_t i = 0; i < list.size(); ++i) {
        auto step = make_post_processor(list[i], where + ".processors[" + std::to_string(i) + "]");
        if (step) steps.push_back(std::move(step));
      }
      return std::make_unique<Sequence>(std::move(steps));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": malformed " + type + ": " + e.what());
  }
  throw Error(where + ": post-processor type '" + type + "' is not supported");
}

}  // namespace junction::tokenizer
