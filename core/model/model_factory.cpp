#include "core/model/model_factory.h"

#include "core/model/bloom.h"
#include "core/model/gpt2.h"
#include "core/model/llama.h"
#include "core/model/opt.h"
#include "core/util/error.h"

namespace gt {

std::shared_ptr<CausalLM> createModel(const ModelConfig& config) {
  if (config.modelType == "opt") return createOpt(config);
  if (config.modelType == "bloom") return createBloom(config);
  if (config.modelType == "gpt2") return createGpt2(config);
  if (config.modelType == "llama" || config.modelType == "qwen2") return createLlama(config);
  throw Error("unsupported model_type '" + config.modelType + "' (expected one of opt, bloom, gpt2, llama, qwen2)");
}

}  // namespace gt
