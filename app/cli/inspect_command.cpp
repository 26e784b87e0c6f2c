// greentrainer inspect MODEL_DIR [--json]: model_type, parameter count and every tensor.
#include <nlohmann/json.hpp>

#include <iomanip>
#include <iostream>

#include "app/cli/common_options.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/model/model_config.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "core/util/runtime_info.h"

namespace gt::cli {

Command inspectCommand() {
  return {"inspect", "Show a model folder's type, parameter count and tensors", [](CLI::App& cmd) {
            auto dir = std::make_shared<std::string>();
            auto o = std::make_shared<CommonOptions>();
            cmd.add_option("MODEL_DIR", *dir, "Hugging Face model folder")->required();
            addJsonOption(cmd, *o);
            return std::function<void()>([dir, o] {
              auto model = loadLanguageModel(*dir);  // validates the folder, the config and every tensor
              const ModelConfig& config = model->config();
              CheckpointTensors stored(*dir);
              int64_t params = 0;
              nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
              for (const auto& p : model->named_parameters(true)) {
                params += p.value().numel();
                tensors.push_back({{"name", p.key()}, {"shape", p.value().sizes().vec()}, {"dtype", stored.dtypeName(p.key())}});
              }
              const BlasInfo blas = loadedBlas();
              if (o->json) {
                nlohmann::ordered_json out = {{"model_type", config.modelType},
                                              {"parameters", params},
                                              {"layers", config.numLayers},
                                              {"decoder_layers", config.isEncoderDecoder() ? nlohmann::json(config.numDecoderLayers) : nlohmann::json(nullptr)},
                                              {"hidden_size", config.hiddenSize},
                                              {"vocab_size", config.vocabSize},
                                              {"tie_word_embeddings", config.tieWordEmbeddings},
                                              {"tensors", tensors},
                                              {"blas", blas.name},
                                              {"blas_kernels", openBlasKernels()},
                                              {"memory_allocator", cpuAllocatorSummary()},
                                              {"threads", computeThreads()}};
                std::cout << out.dump(2) << "\n";
                return;
              }
              std::cout << "model_type: " << config.modelType << (config.isEncoderDecoder() ? " (encoder-decoder)" : "")
                        << "\nparameters: " << params << "\nlayers: " << config.numLayers
                        << (config.isEncoderDecoder() ? " encoder, " + std::to_string(config.numDecoderLayers) + " decoder" : std::string())
                        << "  hidden: " << config.hiddenSize << "  heads: " << config.numHeads << "  vocab: " << config.vocabSize
                        << "\ntied embeddings: " << (config.tieWordEmbeddings ? "yes" : "no") << "\n\n";
              for (const auto& t : tensors)
                std::cout << std::left << std::setw(64) << t["name"].get<std::string>() << std::setw(6) << t["dtype"].get<std::string>()
                          << t["shape"].dump() << "\n";
              std::cout << "\n" << runtimeSummary();
            });
          }};
}

}  // namespace gt::cli
