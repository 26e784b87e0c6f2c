#include "core/train/run_config.h"

#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "core/io/byte_level.h"
#include "core/train/mixed_precision.h"
#include "core/util/error.h"

namespace gt {
namespace {

// The one table of run settings: JSON key -> field. toJson/fromJson both walk it.
template <typename Visit>
void fields(RunConfig& c, Visit&& v) {
  v("model", c.model);
  v("tokenizer", c.tokenizer);
  v("data", c.data);
  v("data_format", c.dataFormat);
  v("source_field", c.sourceField);
  v("target_field", c.targetField);
  v("split", c.split);
  v("eval_split", c.evalSplit);
  v("prompt_template", c.promptTemplate);
  v("max_length", c.maxLength);
  v("max_train_examples", c.maxTrainExamples);
  v("max_eval_examples", c.maxEvalExamples);
  v("method", c.method);
  v("rho", c.rho);
  v("epochs", c.epochs);
  v("batch_size", c.batchSize);
  v("grad_accum", c.gradAccum);
  v("lr", c.lr);
  v("weight_decay", c.weightDecay);
  v("schedule", c.schedule);
  v("seed", c.seed);
  v("device", c.device);
  v("dtype", c.dtype);
  v("precision", c.precision);
  v("gradient_checkpointing", c.gradientCheckpointing);
  v("pad_to_multiple_of", c.padToMultipleOf);
  v("reselect_every_epochs", c.reselectEveryEpochs);
  v("reselect_every_steps", c.reselectEverySteps);
  v("importance", c.importance);
  v("importance_grad_at", c.importanceGradAt);
  v("importance_batches", c.importanceBatches);
  v("solver", c.solver);
  v("tq", c.tq);
  v("early_stop", c.earlyStop);
  v("top_blocks", c.topBlocks);
  v("lisa_layers", c.lisaLayers);
  v("lisa_interval", c.lisaInterval);
  v("badam_interval", c.badamInterval);
  v("badam_order", c.badamOrder);
  v("lora_rank", c.loraRank);
  v("lora_alpha", c.loraAlpha);
  v("lora_dropout", c.loraDropout);
  v("lora_targets", c.loraTargets);
  v("prefix_tokens", c.prefixTokens);
  v("generate_split", c.generateSplit);
  v("generate_every_epoch", c.generateEveryEpoch);
  v("generate_before_training", c.generateBeforeTraining);
  v("max_generate_examples", c.maxGenerateExamples);
  v("eval_beams", c.evalBeams);
  v("eval_repetition_penalty", c.evalRepetitionPenalty);
  v("eval_max_new_tokens", c.evalMaxNewTokens);
  v("eval_batch_size", c.evalBatchSize);
  v("eval_stem", c.evalStem);
  v("checkpoint_every_steps", c.checkpointEverySteps);
  v("out_dir", c.outDir);
  v("save_model", c.saveModel);
}

std::string str(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

}  // namespace

nlohmann::json RunConfig::toJson() const {
  nlohmann::ordered_json j;
  RunConfig copy = *this;
  fields(copy, [&](const char* key, auto& value) { j[key] = value; });
  return j;
}

RunConfig RunConfig::fromJson(const nlohmann::json& j, const std::string& where) {
  check(j.is_object(), where + ": expected a JSON object of run settings");
  RunConfig c;
  std::map<std::string, bool> known;
  fields(c, [&](const char* key, auto& value) {
    known[key] = true;
    if (!j.contains(key)) return;
    using T = std::decay_t<decltype(value)>;
    const auto& x = j[key];
    bool ok;
    if constexpr (std::is_same_v<T, std::string>) ok = x.is_string();
    else if constexpr (std::is_same_v<T, bool>) ok = x.is_boolean();
    else if constexpr (std::is_floating_point_v<T>) ok = x.is_number();
    else ok = x.is_number_integer();
    check(ok, where + ": field '" + key + "' has the wrong type (" + x.dump() + ")");
    value = x.get<T>();
  });
  for (auto it = j.begin(); it != j.end(); ++it) check(known.count(it.key()), where + ": unknown field '" + it.key() + "'");
  return c;
}

void RunConfig::validate() const {
  // Every text setting ends up in the run record (JSON): refuse bytes that are not UTF-8 up front.
  RunConfig copy = *this;
  fields(copy, [&](const char* key, auto& value) {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>)
      check(utf8Lossy(value) == value, std::string(key) + ": not valid UTF-8 (a path or text with bytes of another encoding)");
  });
  check(!model.empty(), "model: a model folder is required (--model)");
  check(!data.empty(), "data: a dataset file is required (--data)");
  check(method == "full" || method == "gt" || method == "top2" || method == "top-blocks" || method == "lisa" || method == "badam" ||
            method == "lora" || method == "prefix",
        "method: expected full, gt, top2, top-blocks, lisa, badam, lora or prefix, got '" + method + "'");
  check(lisaLayers >= 1, "lisa_layers (--lisa-layers): expected at least 1, got " + std::to_string(lisaLayers));
  check(lisaInterval >= 1 && badamInterval >= 1, "lisa_interval / badam_interval: expected at least 1 step");
  check(badamOrder == "ascending" || badamOrder == "descending" || badamOrder == "random",
        "badam_order (--badam-order): expected ascending, descending or random, got '" + badamOrder + "'");
  check(std::isfinite(rho) && rho > 0 && rho <= 1, "rho: expected a value in (0, 1], got " + str(rho));
  check(epochs >= 1, "epochs: expected at least 1, got " + std::to_string(epochs));
  check(batchSize >= 1, "batch_size: expected at least 1, got " + std::to_string(batchSize));
  check(gradAccum >= 1, "grad_accum: expected at least 1, got " + std::to_string(gradAccum));
  check(std::isfinite(lr) && lr > 0, "lr: expected a positive learning rate, got " + str(lr));
  check(std::isfinite(weightDecay) && weightDecay >= 0, "weight_decay: expected >= 0, got " + str(weightDecay));
  check(schedule == "linear" || schedule == "constant", "schedule: expected linear or constant, got '" + schedule + "'");
  check(dtype == "float32" || dtype == "bfloat16" || dtype == "float16", "dtype: expected float32, bfloat16 or float16, got '" + dtype + "'");
  check(device == "cpu" || device.rfind("cuda", 0) == 0, "device: expected cpu or cuda[:N], got '" + device + "'");
  checkPrecisionName(precision, dtype);
  check(!(gradientCheckpointing && method == "prefix"),
        "gradient_checkpointing (--gradient-checkpointing): not available with prefix tuning (its virtual tokens reach every block as "
        "a key/value cache, which checkpointed blocks do not take)");
  check(reselectEveryEpochs >= 1, "reselect_every_epochs: expected at least 1");
  check(reselectEverySteps >= 0, "reselect_every_steps: expected >= 0");
  check(padToMultipleOf >= -1, "pad_to_multiple_of: expected -1 (auto), 0 (none) or a positive multiple, got " + std::to_string(padToMultipleOf));
  check(importanceBatches >= 1, "importance_batches: expected at least 1, got " + std::to_string(importanceBatches));
  check(solver == "exact" || solver == "paper" || solver == "brute", "solver: expected exact, paper or brute, got '" + solver + "'");
  check(tq >= 10, "tq: expected at least 10, got " + std::to_string(tq));
  check(topBlocks >= 1, "top_blocks: expected at least 1, got " + std::to_string(topBlocks));
  check(prefixTokens >= 1, "prefix_tokens: expected at least 1, got " + std::to_string(prefixTokens));
  check(loraRank >= 1, "lora_rank: expected at least 1, got " + std::to_string(loraRank));
  check(std::isfinite(loraAlpha) && loraAlpha > 0, "lora_alpha: expected a positive number, got " + str(loraAlpha));
  check(loraDropout >= 0 && loraDropout < 1, "lora_dropout: expected a value in [0, 1), got " + str(loraDropout));
  check(evalBeams >= 1 && evalMaxNewTokens >= 1 && evalBatchSize >= 1, "eval_beams, eval_max_new_tokens and eval_batch_size: expected at least 1");
  check(evalRepetitionPenalty > 0, "eval_repetition_penalty: expected > 0, got " + str(evalRepetitionPenalty));
  check(maxGenerateExamples >= 0, "max_generate_examples: expected >= 0");
  check(maxLength >= 8, "max_length: expected at least 8, got " + std::to_string(maxLength));
  check(maxTrainExamples >= 0, "max_train_examples (--max-train-examples): expected >= 0 (0: all rows), got " + std::to_string(maxTrainExamples));
  check(maxEvalExamples >= 0, "max_eval_examples: expected >= 0 (0: all rows), got " + std::to_string(maxEvalExamples));
  check(tq <= 100000, "tq: expected at most 100000 quantisation steps, got " + std::to_string(tq));
  check(std::isfinite(evalRepetitionPenalty), "eval_repetition_penalty: expected a finite number, got " + str(evalRepetitionPenalty));
  check(checkpointEverySteps >= 0, "checkpoint_every_steps (--checkpoint-every): expected >= 0 (0: at epoch ends only), got " +
                                       std::to_string(checkpointEverySteps));
  // Generation appends eval_max_new_tokens to a prompt of at least one token within max_length.
  check(generateSplit.empty() || evalMaxNewTokens < maxLength,
        "eval_max_new_tokens (--eval-max-new-tokens " + std::to_string(evalMaxNewTokens) + ") must be less than max_length (--max-length " +
            std::to_string(maxLength) + "): generation needs room for the prompt");
}

}  // namespace gt
