// Hugging Face model folders: config.json + model.safetensors (or shards listed in
// model.safetensors.index.json) [+ tokenizer files]. Loading is by tensor name; saving writes a
// folder that transformers' from_pretrained opens.
#pragma once
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model/causal_lm.h"
#include "core/model/seq2seq_lm.h"

namespace gt {

class SafetensorsFile;

// All tensors of a checkpoint folder, single file or sharded.
class CheckpointTensors {
 public:
  explicit CheckpointTensors(const std::filesystem::path& modelDir);
  ~CheckpointTensors();
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const { return owner_.count(name) > 0; }
  torch::Tensor tensor(const std::string& name) const;  // view into the mapped file
  std::string dtypeName(const std::string& name) const;
  std::string fileOf(const std::string& name) const;

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> owner_;
};

struct LoadOptions {
  torch::ScalarType dtype = torch::kFloat32;  // compute dtype; stored F32/F16/BF16 are converted
  torch::Device device = torch::kCPU;
};

// Throws gt::Error naming the folder/file and every missing or mis-shaped tensor.
// Unexpected tensors are logged as warnings (as transformers does).
std::shared_ptr<CausalLM> loadModel(const std::filesystem::path& modelDir, const LoadOptions& options = {});
// The same for an encoder-decoder folder (model_type t5).
std::shared_ptr<Seq2SeqLM> loadSeq2SeqModel(const std::filesystem::path& modelDir, const LoadOptions& options = {});
// Either kind, as config.json's model_type says (a CausalLM or a Seq2SeqLM).
std::shared_ptr<LanguageModel> loadLanguageModel(const std::filesystem::path& modelDir, const LoadOptions& options = {});

// Copies checkpoint tensors into the model's parameters by name; same checks as loadModel.
void loadWeights(LanguageModel& model, const CheckpointTensors& tensors, const std::string& where);

// Writes config.json and model.safetensors (tied weights once, as transformers does), plus
// generation_config.json and tokenizer files copied from copyFilesFrom when given.
void saveModel(LanguageModel& model, const std::filesystem::path& outDir, const std::filesystem::path& copyFilesFrom = {});

// Tokenizer-related files a model folder may carry.
const std::vector<std::string>& tokenizerFileNames();

}  // namespace gt
