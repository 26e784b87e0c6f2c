#include "core/io/checkpoint.h"

#include <torch/nn/module.h>

#include <algorithm>
#include <set>

#include "core/io/safetensors.h"
#include "core/log/log.h"
#include "core/model/model_factory.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace fs = std::filesystem;

const std::vector<std::string>& tokenizerFileNames() {
  static const std::vector<std::string> names = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                                 "vocab.json",     "merges.txt",            "tokenizer.model",
                                                 "added_tokens.json", "generation_config.json"};
  return names;
}

CheckpointTensors::CheckpointTensors(const fs::path& modelDir) {
  check(fs::is_directory(modelDir), modelDir.string() + ": not a model folder (expected config.json and model.safetensors)");
  const fs::path single = modelDir / "model.safetensors";
  const fs::path index = modelDir / "model.safetensors.index.json";
  if (fs::exists(single)) {
    files_.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& n : files_.back()->names()) owner_[n] = files_.back().get();
    return;
  }
  check(fs::exists(index), modelDir.string() + ": no model.safetensors or model.safetensors.index.json");
  const auto j = readJsonFile(index);
  check(j.contains("weight_map") && j["weight_map"].is_object(), index.string() + ": missing object 'weight_map'");
  std::map<std::string, const SafetensorsFile*> byFile;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    check(it.value().is_string(), index.string() + ": weight_map['" + it.key() + "'] must be a file name");
    const std::string file = it.value().get<std::string>();
    check(fs::path(file).filename() == file, index.string() + ": weight_map['" + it.key() + "'] must name a file in the folder");
    if (!byFile.count(file)) {
      check(fs::exists(modelDir / file), index.string() + ": shard '" + file + "' (for tensor '" + it.key() + "') not found");
      files_.push_back(std::make_unique<SafetensorsFile>(modelDir / file));
      byFile[file] = files_.back().get();
    }
    check(byFile[file]->contains(it.key()), (modelDir / file).string() + ": tensor '" + it.key() + "' listed in the index is missing");
    owner_[it.key()] = byFile[file];
  }
}

CheckpointTensors::~CheckpointTensors() = default;

std::vector<std::string> CheckpointTensors::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : owner_) out.push_back(n);
  return out;
}

torch::Tensor CheckpointTensors::tensor(const std::string& name) const {
  auto it = owner_.find(name);
  check(it != owner_.end(), "checkpoint has no tensor '" + name + "'");
  return it->second->tensor(name);
}

std::string CheckpointTensors::dtypeName(const std::string& name) const {
  auto it = owner_.find(name);
  check(it != owner_.end(), "checkpoint has no tensor '" + name + "'");
  return it->second->entry(name).dtype;
}

std::string CheckpointTensors::fileOf(const std::string& name) const {
  auto it = owner_.find(name);
  check(it != owner_.end(), "checkpoint has no tensor '" + name + "'");
  return it->second->path().string();
}

void loadWeights(LanguageModel& model, const CheckpointTensors& tensors, const std::string& where) {
  torch::NoGradGuard noGrad;
  std::vector<std::string> missing, mismatched;
  std::set<std::string> used;
  for (auto& item : model.named_parameters(true)) {
    const std::string& name = item.key();
    if (!tensors.contains(name)) {
      missing.push_back(name);
      continue;
    }
    used.insert(name);
    auto src = tensors.tensor(name);
    auto& dst = item.value();
    if (src.sizes() != dst.sizes()) {
      mismatched.push_back("'" + name + "' is " + c10::str(src.sizes()) + " in " + tensors.fileOf(name) + ", the config expects " +
                           c10::str(dst.sizes()));
      continue;
    }
    const std::string dtype = tensors.dtypeName(name);
    check(dtype == "F32" || dtype == "F16" || dtype == "BF16" || dtype == "F64",
          tensors.fileOf(name) + ": tensor '" + name + "' has dtype " + dtype + ", expected F32, F16 or BF16 weights");
    dst.copy_(src);
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + missing[i];
    throw Error(where + ": missing tensors: " + list);
  }
  if (!mismatched.empty()) {
    std::string list;
    for (size_t i = 0; i < mismatched.size(); ++i) list += (i ? "; " : "") + mismatched[i];
    throw Error(where + ": shape mismatch: " + list);
  }
  for (const auto& n : model.tiedCheckpointNames()) used.insert(n);
  std::vector<std::string> unexpected;
  for (const auto& n : tensors.names())
    if (!used.count(n)) unexpected.push_back(n);
  if (!unexpected.empty()) {
    std::string list;
    for (size_t i = 0; i < unexpected.size(); ++i) list += (i ? ", " : "") + unexpected[i];
    log::warn(where + ": unused tensors in the checkpoint: " + list);
  }
}

namespace {

// Builds the model with `create`, loads its weights and moves it to the device and dtype.
template <typename Model, typename Create>
std::shared_ptr<Model> loadFolder(const fs::path& modelDir, const LoadOptions& options, Create create) {
  check(fs::is_directory(modelDir), modelDir.string() + ": not a model folder (expected config.json and model.safetensors)");
  const ModelConfig config = ModelConfig::fromFile(modelDir / "config.json");
  CheckpointTensors tensors(modelDir);  // every file's header validated before anything is allocated
  std::shared_ptr<Model> model;
  try {
    model = create(config);
  } catch (const Error& e) {
    throw Error((modelDir / "config.json").string() + ": " + e.what());
  }
  loadWeights(*model, tensors, modelDir.string());
  // NaN or infinite weights make every output garbage: refuse them, naming the tensor.
  for (const auto& p : model->named_parameters(true)) {
    if (torch::isfinite(p.value()).all().template item<bool>()) continue;
    const std::string file = tensors.contains(p.key()) ? tensors.fileOf(p.key()) : (modelDir / "model.safetensors").string();
    throw Error(file + ": tensor '" + p.key() + "' holds NaN or infinite values; the checkpoint is damaged");
  }
  model->to(options.device, options.dtype);
  model->eval();
  return model;
}

}  // namespace

std::shared_ptr<CausalLM> loadModel(const fs::path& modelDir, const LoadOptions& options) {
  return loadFolder<CausalLM>(modelDir, options, createModel);
}

std::shared_ptr<Seq2SeqLM> loadSeq2SeqModel(const fs::path& modelDir, const LoadOptions& options) {
  return loadFolder<Seq2SeqLM>(modelDir, options, createSeq2SeqModel);
}

std::shared_ptr<LanguageModel> loadLanguageModel(const fs::path& modelDir, const LoadOptions& options) {
  const bool encoderDecoder = fs::is_directory(modelDir) && ModelConfig::fromFile(modelDir / "config.json").isEncoderDecoder();
  if (encoderDecoder) return loadSeq2SeqModel(modelDir, options);
  return loadModel(modelDir, options);
}

void saveModel(LanguageModel& model, const fs::path& outDir, const fs::path& copyFilesFrom) {
  fs::create_directories(outDir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  torch::ScalarType dtype = torch::kFloat32;
  for (const auto& item : model.named_parameters(true)) {
    tensors.emplace_back(item.key(), item.value());
    dtype = item.value().scalar_type();
  }
  // Weights first, config last: a folder with a config.json is a complete one.
  writeSafetensors(outDir / "model.safetensors", tensors);
  auto config = model.config().raw;
  const char* dtypeName = dtype == torch::kBFloat16 ? "bfloat16" : dtype == torch::kFloat16 ? "float16" : "float32";
  config["torch_dtype"] = dtypeName;
  if (config.contains("dtype")) config["dtype"] = dtypeName;
  writeTextAtomically(outDir / "config.json", config.dump(2) + "\n");
  if (!copyFilesFrom.empty() && fs::absolute(copyFilesFrom) != fs::absolute(outDir)) {
    for (const auto& name : tokenizerFileNames()) {
      if (!fs::exists(copyFilesFrom / name)) continue;
      writeTextAtomically(outDir / name, readTextFile(copyFilesFrom / name));
    }
  }
}

}  // namespace gt
