// greentrainer generate MODEL_DIR (--prompt STR | --input-ids 5,6,7) [--max-new-tokens N]
//   [--beams K] [--early-stopping] [--length-penalty X] [--repetition-penalty X] [--json]
// A decoder-only model continues the prompt (ids: the prompt, then the new tokens); an
// encoder-decoder reads it and generates from its decoder start token (ids: that token, then the new ones).
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/common_options.h"
#include "core/io/checkpoint.h"
#include "core/io/tokenizer.h"
#include "core/model/generation.h"
#include "core/model/seq2seq_generation.h"
#include "core/train/mixed_precision.h"
#include "core/train/prefix_tuning.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt::cli {

Command generateCommand() {
  return {"generate", "Continue a prompt with greedy or beam search", [](CLI::App& cmd) {
            struct Args {
              std::string dir, prompt, ids, tokenizer, adapter;
              GenerationOptions g;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            a->g.maxNewTokens = 20;
            cmd.add_option("MODEL_DIR", a->dir, "Hugging Face model folder")->required();
            auto* prompt = cmd.add_option("--prompt", a->prompt,
                                          "Prompt text (needs a tokenizer in MODEL_DIR or --tokenizer; an encoder-decoder reads it followed by EOS)");
            auto* ids = cmd.add_option("--input-ids", a->ids, "Prompt as comma-separated token ids");
            prompt->excludes(ids);
            cmd.add_option("--tokenizer", a->tokenizer, "Tokenizer path (default: MODEL_DIR)");
            cmd.add_option("--adapter", a->adapter, "LoRA or prefix folder of a run (RUN/adapter, RUN/prefix) to apply");
            cmd.add_option("--max-new-tokens", a->g.maxNewTokens, "Tokens to generate")->capture_default_str();
            cmd.add_option("--beams", a->g.numBeams, "Beam width (1: greedy)")->capture_default_str();
            cmd.add_flag("--early-stopping", a->g.earlyStopping, "Stop beam search once num_beams hypotheses are finished");
            cmd.add_option("--length-penalty", a->g.lengthPenalty, "Exponent of the length normalisation")->capture_default_str();
            cmd.add_option("--repetition-penalty", a->g.repetitionPenalty, "CTRL repetition penalty (1: off)")->capture_default_str();
            addModelOptions(cmd, a->o);
            addPrecisionOption(cmd, a->o);
            addJsonOption(cmd, a->o);
            return std::function<void()>([a, prompt, ids] {
              applyCommonOptions(a->o);
              const std::string precision = applyPrecision(a->o);
              check(prompt->count() + ids->count() == 1, "generate: give exactly one of --prompt or --input-ids");
              auto model = loadLanguageModel(a->dir, loadOptions(a->o));
              auto* seq2seq = dynamic_cast<Seq2SeqLM*>(model.get());
              GenerationOptions g = a->g;
              g.eosTokenIds = eosTokenIds(a->dir, model->config());
              LoadedAdapter adapter;
              if (!a->adapter.empty()) adapter = loadAdapter(*model, a->adapter);
              if (adapter.prefix) g.prefixCache = [&](int64_t rows) { return adapter.prefix->cache(rows); };
              std::unique_ptr<Tokenizer> tok;
              std::vector<int64_t> input;
              if (prompt->count()) {
                tok = loadTokenizer(a->tokenizer.empty() ? a->dir : a->tokenizer);
                checkTokenizerFitsModel(tok->vocabSize(), model->config());
                input = tok->encode(a->prompt);
                // T5's tokenizer ends the encoder's input with EOS (its post-processor's </s>).
                check(!seq2seq || !g.eosTokenIds.empty(), (std::filesystem::path(a->dir) / "config.json").string() +
                                                              ": an encoder-decoder needs eos_token_id (it ends the encoder's input)");
                if (seq2seq) input.push_back(g.eosTokenIds.front());
              } else {
                input = parseIdList(a->ids, "--input-ids");
                const std::string tp = a->tokenizer.empty() ? a->dir : a->tokenizer;
                if (!a->tokenizer.empty() || std::filesystem::exists(std::filesystem::path(tp) / "tokenizer.json") ||
                    std::filesystem::exists(std::filesystem::path(tp) / "tokenizer.model"))
                  tok = loadTokenizer(tp);
              }
              const auto out = [&] {
                AutocastGuard autocast(precision, torch::Device(a->o.device));  // mixed precisions: forward in bf16/fp16
                return seq2seq ? generateSeq2Seq(*seq2seq, input, g) : generate(static_cast<CausalLM&>(*model), input, g);
              }();
              std::string text;
              // The decoder start token is not text (transformers users decode with skip_special_tokens).
              if (tok) text = tok->decode(seq2seq ? std::vector<int64_t>(out.begin() + 1, out.end()) : out);
              if (a->o.json) {
                nlohmann::ordered_json j = {
                    {"ids", out}, {"text", tok ? nlohmann::json(text) : nlohmann::json(nullptr)}, {"precision", precision}};
                std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
                return;
              }
              std::cout << "ids:";
              for (auto id : out) std::cout << " " << id;
              std::cout << "\n";
              if (tok) std::cout << "text: " << text << "\n";
            });
          }};
}

}  // namespace gt::cli
