#include "core/io/post_processor.h"

#include "core/util/error.h"

namespace gt {
namespace {

// [token, id] as BertProcessing / RobertaProcessing write them.
int64_t tokenPairId(const nlohmann::json& spec, const char* key, const std::string& where) {
  check(spec.contains(key) && spec[key].is_array() && spec[key].size() == 2 && spec[key][1].is_number_integer(),
        where + ": post_processor." + key + " must be [token, id]");
  return spec[key][1].get<int64_t>();
}

PostProcessor templateProcessing(const nlohmann::json& spec, const std::string& where) {
  check(spec.contains("single") && spec["single"].is_array(), where + ": TemplateProcessing needs a 'single' template");
  const auto specials = spec.value("special_tokens", nlohmann::json::object());
  // The template as a list of pieces: ids to insert, or -1 for the sequence itself.
  std::vector<std::vector<int64_t>> pieces;
  for (const auto& item : spec["single"]) {
    if (item.contains("Sequence")) {
      pieces.push_back({});
      continue;
    }
    check(item.contains("SpecialToken") && item["SpecialToken"].contains("id"),
          where + ": TemplateProcessing items must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    const std::string name = item["SpecialToken"]["id"].get<std::string>();
    check(specials.contains(name) && specials[name].contains("ids") && specials[name]["ids"].is_array(),
          where + ": TemplateProcessing uses special token '" + name + "' missing from special_tokens");
    pieces.push_back(specials[name]["ids"].get<std::vector<int64_t>>());
    check(!pieces.back().empty(), where + ": TemplateProcessing special token '" + name + "' has no ids");
  }
  return [pieces](std::vector<int64_t> ids) {
    std::vector<int64_t> out;
    for (const auto& p : pieces) {
      if (p.empty()) out.insert(out.end(), ids.begin(), ids.end());
      else out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  };
}

}  // namespace

PostProcessor makePostProcessor(const nlohmann::json& spec, const std::string& where) {
  if (spec.is_null()) return [](std::vector<int64_t> ids) { return ids; };
  check(spec.is_object() && spec.contains("type") && spec["type"].is_string(), where + ": post_processor must be an object with a 'type'");
  const std::string type = spec["type"].get<std::string>();
  if (type == "ByteLevel") return [](std::vector<int64_t> ids) { return ids; };
  if (type == "TemplateProcessing") return templateProcessing(spec, where);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    const int64_t cls = tokenPairId(spec, "cls", where), sep = tokenPairId(spec, "sep", where);
    return [cls, sep](std::vector<int64_t> ids) {
      ids.insert(ids.begin(), cls);
      ids.push_back(sep);
      return ids;
    };
  }
  if (type == "Sequence") {
    std::vector<PostProcessor> steps;
    for (const auto& p : spec.value("processors", nlohmann::json::array())) steps.push_back(makePostProcessor(p, where));
    return [steps](std::vector<int64_t> ids) {
      for (const auto& s : steps) ids = s(std::move(ids));
      return ids;
    };
  }
  throw Error(where + ": post_processor type '" + type +
              "' is not supported (expected TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or Sequence)");
}

}  // namespace gt
