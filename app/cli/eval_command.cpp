// greentrainer eval --model DIR --data FILE [--split test] [--max-examples N] [--beams 4]
//   [--repetition-penalty 2.5] [--max-new-tokens 24] [--stem] [--predictions OUT.jsonl] [--json]
// Generates a completion for every example's prompt and scores it against the target (ROUGE F1).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/cli/common_options.h"
#include "core/eval/generation_eval.h"
#include "core/io/checkpoint.h"
#include "core/model/generation.h"
#include "core/train/mixed_precision.h"
#include "core/train/prefix_tuning.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt::cli {

Command evalCommand() {
  return {"eval", "Generate for each example and score ROUGE-1/2/L against the targets", [](CLI::App& cmd) {
            struct Args {
              std::string model, tokenizer, predictions, adapter;
              DatasetSpec data;
              std::string dataPath;
              EvalOptions e;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            a->data.split = "test";
            cmd.add_option("--model", a->model, "Hugging Face model folder")->required();
            cmd.add_option("--tokenizer", a->tokenizer, "Tokenizer (default: the model folder)");
            cmd.add_option("--adapter", a->adapter, "LoRA or prefix folder of a run (RUN/adapter, RUN/prefix) to apply");
            cmd.add_option("--data", a->dataPath, "Dataset: .jsonl, .csv or .tsv")->required();
            cmd.add_option("--format", a->data.format, "Dataset format when the extension does not say: jsonl, csv, tsv");
            cmd.add_option("--source-field", a->data.sourceField, "Field holding the input text")->capture_default_str();
            cmd.add_option("--target-field", a->data.targetField, "Field holding the reference")->capture_default_str();
            cmd.add_option("--split", a->data.split, "Evaluate rows whose 'split' field equals this (empty: all)")->capture_default_str();
            auto* templateOption = cmd.add_option("--template", a->data.promptTemplate,
                                                  "Prompt template (encoder-decoders: default \"summarize: {source}{target}\", the encoder "
                                                  "reads the text before {target})")
                                       ->capture_default_str();
            cmd.add_option("--max-examples", a->data.maxExamples, "Evaluate at most this many rows (0: all)")->capture_default_str();
            cmd.add_option("--beams", a->e.generation.numBeams, "Beam width (1: greedy)")->capture_default_str();
            cmd.add_option("--repetition-penalty", a->e.generation.repetitionPenalty, "CTRL repetition penalty (1: off)")->capture_default_str();
            cmd.add_option("--length-penalty", a->e.generation.lengthPenalty, "Exponent of the length normalisation")->capture_default_str();
            cmd.add_option("--max-new-tokens", a->e.generation.maxNewTokens, "Tokens to generate per example")->capture_default_str();
            cmd.add_option("--batch-size", a->e.batchSize, "Prompts generated together")->capture_default_str();
            cmd.add_option("--max-length", a->e.maxLength, "Prompt + new tokens; longer sources are cut")->capture_default_str();
            cmd.add_flag("--stem", a->e.stem, "Porter-stem words before ROUGE");
            cmd.add_option("--predictions", a->predictions, "Write {prediction, reference, scores} per line to this JSONL file");
            addModelOptions(cmd, a->o);
            addPrecisionOption(cmd, a->o);
            addJsonOption(cmd, a->o);
            return std::function<void()>([a, templateOption] {
              applyCommonOptions(a->o);
              const std::string precision = applyPrecision(a->o);
              a->data.path = a->dataPath;
              check(a->data.maxExamples >= 0, "--max-examples: expected >= 0 (0: all rows), got " + std::to_string(a->data.maxExamples));
              const auto examples = readExamples(a->data);
              auto model = loadLanguageModel(a->model, loadOptions(a->o));
              auto tok = loadTokenizer(a->tokenizer.empty() ? a->model : a->tokenizer);
              checkTokenizerFitsModel(tok->vocabSize(), model->config());
              LoadedAdapter adapter;
              if (!a->adapter.empty()) adapter = loadAdapter(*model, a->adapter);
              if (model->config().isEncoderDecoder() && templateOption->count() == 0) a->data.promptTemplate = kEncoderDecoderTemplate;
              if (adapter.prefix) a->e.generation.prefixCache = [&](int64_t rows) { return adapter.prefix->cache(rows); };
              a->e.generation.eosTokenIds = eosTokenIds(a->model, model->config());
              const bool tty = isatty(fileno(stderr));
              AutocastGuard autocast(precision, torch::Device(a->o.device));  // mixed precisions: forward in bf16/fp16
              const auto r = evaluateByGeneration(*model, *tok, examples, a->data.promptTemplate, a->e,
                                                  [&](int64_t done, int64_t total) {
                                                    if (tty) std::fprintf(stderr, "\rgenerating %lld/%lld   ", (long long)done, (long long)total);
                                                    return true;
                                                  });
              if (tty) std::fprintf(stderr, "\n");
              if (!a->predictions.empty()) writeTextAtomically(a->predictions, predictionsJsonl(r.rows));
              if (a->o.json) {
                std::cout << nlohmann::ordered_json({{"examples", r.examples}, {"skipped", r.skipped}, {"rouge1", r.rouge.rouge1},
                                                     {"rouge2", r.rouge.rouge2}, {"rougeL", r.rouge.rougeL}, {"exact_match", r.exactMatch},
                                                     {"stem", a->e.stem}, {"precision", precision}, {"seconds", r.seconds}})
                                 .dump()
                          << "\n";
                return;
              }
              for (size_t i = 0; i < r.rows.size() && i < 5; ++i)
                std::cout << "prediction: " << r.rows[i].prediction << "\nreference:  " << r.rows[i].reference << "\n\n";
              std::printf("examples: %lld (skipped %lld), %.1f s, precision %s\n", (long long)r.examples, (long long)r.skipped, r.seconds,
                          precision.c_str());
              std::printf("ROUGE F1 x100%s: ROUGE-1 %.2f  ROUGE-2 %.2f  ROUGE-L %.2f  exact match %.2f%%\n", a->e.stem ? " (stemmed)" : "",
                          100 * r.rouge.rouge1, 100 * r.rouge.rouge2, 100 * r.rouge.rougeL, 100 * r.exactMatch);
            });
          }};
}

}  // namespace gt::cli
