// greentrainer train --model DIR --data FILE --method full|gt|top2|top-blocks|lora|prefix --rho R --epochs E --batch-size B
//   --lr LR --out RUN_DIR [--config run.json]; flags override the config file.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "app/cli/common_options.h"
#include "app/cli/crash_report.h"
#include "core/report/comparison.h"
#include "core/train/resumable_run.h"
#include "core/train/trainer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt::cli {
namespace {

RunControl* g_control = nullptr;
volatile std::sig_atomic_t g_signal = 0;
// SIGINT/SIGTERM/SIGHUP: the run finishes its step, writes a checkpoint and a "cancelled" record.
// A second signal ends the process at once (the default action).
void onStopSignal(int sig) {
  g_signal = sig;
  if (g_control) g_control->cancel();  // atomic store only: async-signal-safe
  std::signal(sig, SIG_DFL);
}
const int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Routes the stop signals to `control` while it lives, then restores their default action.
class StopSignalsCancel {
 public:
  explicit StopSignalsCancel(RunControl& control) {
    g_control = &control;
    for (int sig : kStopSignals) std::signal(sig, onStopSignal);
  }
  ~StopSignalsCancel() {
    for (int sig : kStopSignals) std::signal(sig, SIG_DFL);
    g_control = nullptr;
  }
  StopSignalsCancel(const StopSignalsCancel&) = delete;
  StopSignalsCancel& operator=(const StopSignalsCancel&) = delete;
};

std::string duration(double seconds) {
  const int s = int(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, (s / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  return buf;
}

// Progress on stderr: a redrawn bar on a terminal, plain lines otherwise.
class ProgressPrinter : public RunObserver {
 public:
  explicit ProgressPrinter(std::string method) : method_(std::move(method)), tty_(isatty(fileno(stderr))) {}
  void runStarted(const RunStartInfo& i) override {
    std::fprintf(stderr, "%s, %lld parameters, %lld examples, %lld steps\n", i.modelType.c_str(), (long long)i.parameters,
                 (long long)i.trainExamples, (long long)i.totalSteps);
    resumedSteps_ = i.resumedSteps;
    replaying_ = resumedSteps_ > 0;
    if (resumedSteps_ > 0) std::fprintf(stderr, "resuming after step %lld\n", (long long)resumedSteps_);
  }
  void selectionMade(const SelectionEvent& e) override {
    if (e.step < resumedSteps_) return;  // replayed from the earlier session
    replaying_ = false;
    int n = 0;
    for (bool m : e.mask) n += m;
    endLine();
    if (method_ == "gt")
      std::fprintf(stderr, "epoch %lld: selected %d/%zu tensors at rho %.2f, predicted %.3f of Full FT FLOPs\n", (long long)e.epoch + 1, n,
                   e.mask.size(), e.rho, e.predictedFraction);
    else  // a layer schedule (LISA, BAdam): a new mask every few steps, no budget
      std::fprintf(stderr, "step %lld (epoch %lld): %s trains %d/%zu tensors, predicted %.3f of Full FT FLOPs\n", (long long)e.step + 1,
                   (long long)e.epoch + 1, method_.c_str(), n, e.mask.size(), e.predictedFraction);
  }
  static double tokensPerSecond(const StepEvent& e) { return e.seconds > 0 ? double(e.tokens) / e.seconds : 0.0; }
  static std::string peak(const StepEvent& e) {
    if (e.peakMemoryBytes < 0) return "";
    char buf[48];
    std::snprintf(buf, sizeof buf, " peak %.2f GB", double(e.peakMemoryBytes) / 1e9);
    return buf;
  }
  static std::string energy(const StepEvent& e) { return e.energyJoules < 0 ? "" : " " + energyText(e.energyJoules); }
  void stepDone(const StepEvent& e) override {
    if (e.step < resumedSteps_) return;
    replaying_ = false;
    elapsed_ += e.seconds;
    const double done = double(e.step + 1) / double(e.totalSteps);
    const double eta = elapsed_ / double(e.step + 1 - resumedSteps_) * double(e.totalSteps - e.step - 1);
    const double fraction = e.cumulativeFlopsFull > 0 ? e.cumulativeFlops / e.cumulativeFlopsFull : 0;
    if (tty_) {
      const int width = 30, filled = int(done * width);
      std::fprintf(stderr, "\r[%s%s] %3d%% step %lld/%lld loss %.4f FLOPs %.3f of Full FT %.0f tok/s%s ETA %s   ",
                   std::string(size_t(filled), '#').c_str(), std::string(size_t(width - filled), ' ').c_str(), int(done * 100),
                   (long long)e.step + 1, (long long)e.totalSteps, e.loss, fraction, tokensPerSecond(e), (peak(e) + energy(e)).c_str(), duration(eta).c_str());
      open_ = true;
    } else {
      std::fprintf(stderr, "step %lld/%lld epoch %lld loss %.4f lr %.3g FLOPs %.3f of Full FT %.0f tok/s%s ETA %s\n", (long long)e.step + 1,
                   (long long)e.totalSteps, (long long)e.epoch + 1, e.loss, e.lr, fraction, tokensPerSecond(e), (peak(e) + energy(e)).c_str(),
                   duration(eta).c_str());
    }
  }
  void evaluationDone(const EvaluationEvent& e) override {
    if (replaying_) return;
    endLine();
    std::fprintf(stderr, "epoch %lld: validation loss %.4f on %lld examples\n", (long long)e.epoch + 1, e.loss, (long long)e.examples);
  }
  void generationEvalDone(const GenerationEvalRecord& g) override {
    if (replaying_) return;
    endLine();
    std::fprintf(stderr, "%s: ROUGE-1 %.2f ROUGE-2 %.2f ROUGE-L %.2f on %lld %s examples (%s)\n",
                 g.epoch < 0 ? "before training" : ("epoch " + std::to_string(g.epoch + 1)).c_str(), 100 * g.rouge1, 100 * g.rouge2,
                 100 * g.rougeL, (long long)g.examples, g.split.c_str(), duration(g.seconds).c_str());
  }
  void epochDone(const EpochEvent& e) override {
    if (replaying_) return;
    endLine();
    std::fprintf(stderr, "epoch %lld done: mean loss %.4f in %s\n", (long long)e.epoch + 1, e.meanLoss, duration(e.seconds).c_str());
  }
  void finished(bool cancelled) override {
    // The record is written; what is left is releasing the model, optimizer and run folder. (A crash
    // after this point on CUDA was seen on 2026-11-27; the phase narrows down where.)
    setCrashPhase("train: the run's files are written; leaving the trainer (freeing the model, optimizer and run folder)");
    endLine();
    if (cancelled) std::fprintf(stderr, "stopped by request; a checkpoint and the record of the steps done so far are written\n");
  }

 private:
  void endLine() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
  }
  std::string method_;
  bool tty_, open_ = false;
  double elapsed_ = 0;
  int64_t resumedSteps_ = 0;
  bool replaying_ = false;
};

}  // namespace

Command trainCommand() {
  return {"train", "Fine-tune a model (Full FT or GreenTrainer) and write a run record", [](CLI::App& cmd) {
            struct Args {
              std::string configFile;
              RunConfig c;
            };
            auto a = std::make_shared<Args>();
            // Each flag remembers whether it was given, so it can override --config.
            auto opts = std::make_shared<std::vector<std::function<void(RunConfig&)>>>();
            auto given = std::make_shared<std::vector<CLI::Option*>>();  // for --resume: which flags were used
            auto flag = [&](const char* name, auto member, const char* help) {
              using T = std::decay_t<decltype(a->c.*member)>;
              auto value = std::make_shared<T>();
              auto* opt = cmd.add_option(name, *value, help);
              if constexpr (std::is_unsigned_v<T>)  // CLI11 would wrap -1 around
                opt->check(CLI::Validator(
                    [](std::string& v) { return v.find('-') != std::string::npos ? std::string("expected a non-negative integer") : std::string(); },
                    "UINT"));
              given->push_back(opt);
              opts->push_back([opt, value, member](RunConfig& c) {
                if (opt->count()) c.*member = *value;
              });
            };
            cmd.add_option("--config", a->configFile, "run.json with the settings (flags override it)");
            flag("--model", &RunConfig::model, "Hugging Face model folder");
            flag("--tokenizer", &RunConfig::tokenizer, "Tokenizer (default: the model folder)");
            flag("--data", &RunConfig::data, "Dataset: .jsonl, .csv or .tsv");
            flag("--format", &RunConfig::dataFormat, "Dataset format when the extension does not say: jsonl, csv, tsv");
            flag("--source-field", &RunConfig::sourceField, "Field holding the input text (default source)");
            flag("--target-field", &RunConfig::targetField, "Field holding the output text (default target)");
            flag("--split", &RunConfig::split, "Train on rows whose 'split' field equals this");
            flag("--eval-split", &RunConfig::evalSplit, "Report validation loss after each epoch on this split");
            flag("--template", &RunConfig::promptTemplate, "Prompt template (default \"{source} TL;DR: {target}\"; encoder-decoders: \"summarize: {source}{target}\")");
            flag("--max-length", &RunConfig::maxLength, "Truncate prompt+target to this many tokens (default 512)");
            flag("--max-train-examples", &RunConfig::maxTrainExamples, "Use at most this many training rows (0: all)");
            flag("--method", &RunConfig::method,
                 "full, gt, top2 (the paper's FT-Top2: final norm + output embedding), top-blocks (last K blocks), lisa, badam, lora or "
                 "prefix (default gt)");
            flag("--rho", &RunConfig::rho, "FLOPs budget as a fraction of Full FT, in (0, 1] (default 0.5)");
            flag("--epochs", &RunConfig::epochs, "Epochs (default 5)");
            flag("--batch-size", &RunConfig::batchSize, "Batch size (default 4)");
            flag("--grad-accum", &RunConfig::gradAccum, "Gradient accumulation steps (default 1)");
            flag("--lr", &RunConfig::lr, "Learning rate (default 2e-5)");
            flag("--weight-decay", &RunConfig::weightDecay, "AdamW weight decay (default 0.01)");
            flag("--schedule", &RunConfig::schedule, "linear (decay to 0) or constant");
            flag("--seed", &RunConfig::seed, "Seed for shuffling and initialisation (default 42)");
            flag("--device", &RunConfig::device, "cpu or cuda[:N]");
            flag("--precision", &RunConfig::precision,
                 "fp32, bf16-mixed (fp32 weights and AdamW state, bf16 autocast), fp16-mixed (the same with loss scaling), "
                 "bf16-true (bf16 weights and state: fastest, small updates vanish) or fp16-true; auto (default): bf16-mixed on a "
                 "CUDA device with bf16, else fp32");
            flag("--dtype", &RunConfig::dtype, "Weights' dtype: float32, or bfloat16/float16 for the -true precisions (prefer --precision)");
            flag("--reselect-every-epochs", &RunConfig::reselectEveryEpochs, "Re-select tensors every N epochs (default 1)");
            flag("--reselect-every-steps", &RunConfig::reselectEverySteps, "Also re-select every N steps (0: off)");
            flag("--importance", &RunConfig::importance, "update_x_grad, update or grad");
            flag("--importance-grad-at", &RunConfig::importanceGradAt, "update (w + Δw) or current (w)");
            flag("--pad-to-multiple-of", &RunConfig::padToMultipleOf,
                 "Pad each batch to a multiple of N tokens, at most --max-length (0: to its longest row; default -1: 64 on a CUDA "
                 "device in bf16/fp16, where each new shape costs, else 0)");
            flag("--importance-batches", &RunConfig::importanceBatches,
                 "Measure importance on N batches, from their mean gradient (default 1, the paper's one batch)");
            flag("--solver", &RunConfig::solver, "exact, paper or brute");
            flag("--tq", &RunConfig::tq, "DP quantisation steps (default 1000)");
            flag("--top-blocks", &RunConfig::topBlocks, "top-blocks: how many last decoder blocks train, with the final norm (default 2)");
            flag("--lisa-layers", &RunConfig::lisaLayers, "lisa: decoder layers sampled each period (default 2)");
            flag("--lisa-interval", &RunConfig::lisaInterval, "lisa: steps between samplings (default 20)");
            flag("--badam-interval", &RunConfig::badamInterval, "badam: steps between block switches (default 50)");
            flag("--badam-order", &RunConfig::badamOrder, "badam: ascending, descending or random (default ascending)");
            flag("--lora-rank", &RunConfig::loraRank, "LoRA rank (default 8)");
            flag("--lora-alpha", &RunConfig::loraAlpha, "LoRA alpha (default 32)");
            flag("--lora-dropout", &RunConfig::loraDropout, "LoRA dropout (default 0.1)");
            flag("--lora-targets", &RunConfig::loraTargets, "LoRA target modules, comma-separated (default: query and value)");
            flag("--prefix-tokens", &RunConfig::prefixTokens, "Prefix tuning: virtual tokens per layer (default 20)");
            flag("--generate-split", &RunConfig::generateSplit, "Score generation (ROUGE) on this split at the end of the run");
            flag("--max-generate-examples", &RunConfig::maxGenerateExamples, "Generate for at most this many rows (0: all)");
            flag("--eval-beams", &RunConfig::evalBeams, "Beam width for generation (default 4)");
            flag("--eval-repetition-penalty", &RunConfig::evalRepetitionPenalty, "Repetition penalty for generation (default 2.5)");
            flag("--eval-max-new-tokens", &RunConfig::evalMaxNewTokens, "Tokens generated per example (default 24)");
            flag("--eval-batch-size", &RunConfig::evalBatchSize, "Prompts generated together (default 16)");
            auto boolFlag = [&](const char* name, bool RunConfig::*member, const char* help) {
              auto value = std::make_shared<bool>(false);
              auto* opt = cmd.add_flag(name, *value, help);
              given->push_back(opt);
              opts->push_back([opt, value, member](RunConfig& c) {
                if (opt->count()) c.*member = *value;
              });
            };
            boolFlag("--generate-every-epoch", &RunConfig::generateEveryEpoch, "Also score generation after every epoch");
            boolFlag("--generate-before-training", &RunConfig::generateBeforeTraining, "Also score the model before training");
            boolFlag("--eval-stem", &RunConfig::evalStem, "Porter-stem words before ROUGE");
            boolFlag("--gradient-checkpointing", &RunConfig::gradientCheckpointing,
                     "Recompute each decoder block's forward in the backward pass instead of keeping its activations "
                     "(less memory; the recomputation counts in FLOPs and in GreenTrainer's budget)");
            flag("--checkpoint-every", &RunConfig::checkpointEverySteps,
                 "Write a checkpoint every N optimizer steps and at each epoch end (0: epoch ends only; default 100)");
            flag("--out", &RunConfig::outDir, "Run folder: run.json, steps.csv and model/ (must be new or empty)");
            auto overwrite = std::make_shared<bool>(false);
            cmd.add_flag("--overwrite", *overwrite, "Replace the run in a non-empty --out folder (only a run's files are removed)");
            auto resume = std::make_shared<std::string>();
            cmd.add_option("--resume", *resume, "Continue the interrupted run in RUN_DIR from its checkpoint, with its own settings")
                ->excludes("--overwrite")
                ->excludes("--config");
            auto threads = std::make_shared<int>(0);
            cmd.add_option("--threads", *threads, "Intra-op CPU threads (0: LibTorch's default; with --resume: the run's own count)");
            auto noSave = std::make_shared<bool>(false);
            cmd.add_flag("--no-save-model", *noSave, "Do not write the fine-tuned model");
            return std::function<void()>([a, opts, given, noSave, threads, overwrite, resume] {
              RunConfig c;
              if (!resume->empty()) {
                std::string flags;
                for (const auto* o : *given)
                  if (o->count()) flags += (flags.empty() ? "" : ", ") + o->get_name();
                check(flags.empty() && !*noSave, "--resume continues the run with its own settings; drop " + (flags.empty() ? "--no-save-model" : flags));
                c = resumableRunConfig(*resume);
              } else {
                if (!a->configFile.empty()) {
                  const auto j = readJsonFile(a->configFile);
                  check(!(j.is_object() && j.contains("config") && j.contains("steps")),
                        a->configFile + ": this is a run record, not run settings; pass its settings with --config and a new --out, "
                                        "or continue that run with --resume RUN_DIR");
                  c = RunConfig::fromJson(j, a->configFile);
                }
                for (const auto& apply : *opts) apply(c);
              }
              if (*noSave) c.saveModel = false;
              CommonOptions common;
              common.threads = *threads;
              // A resumed run keeps the thread count it trained with, so it continues bit for bit.
              if (!resume->empty() && *threads == 0) {
                const int64_t recorded = resumableRunThreads(*resume);
                if (recorded > 0 && recorded <= 4 * int64_t(std::thread::hardware_concurrency())) common.threads = int(recorded);
              }
              applyCommonOptions(common);
              check(!c.outDir.empty(), "out_dir: a run folder is required (--out)");
              RunControl control;
              ProgressPrinter progress(c.method);
              const RunFolderMode mode = !resume->empty() ? RunFolderMode::Resume : *overwrite ? RunFolderMode::Overwrite : RunFolderMode::New;
              const RunRecord record = [&] {
                StopSignalsCancel signals(control);
                return Trainer(c, &progress, &control, mode).run();
              }();
              setCrashPhase("train: printing the summary");
              const std::filesystem::path out(c.outDir);
              std::cout << "status: " << record.status << "\n";
              std::cout << "training FLOPs: " << record.totalFlops << " (" << (record.totalFlopsFull > 0 ? 100 * record.totalFlops / record.totalFlopsFull : 0)
                        << "% of Full FT), importance passes: " << record.importanceFlops << "\n";
              if (!record.epochs.empty()) std::cout << "final mean loss: " << record.epochs.back().meanLoss << "\n";
              std::cout << energySummary(record.energyJoules, record.energySources, record.energyNote) << "\n";
              for (const auto& g : record.generationEvals)
                std::printf("ROUGE %s on %lld %s examples: ROUGE-1 %.2f ROUGE-2 %.2f ROUGE-L %.2f%s\n",
                            g.epoch < 0 ? "before training" : ("after epoch " + std::to_string(g.epoch + 1)).c_str(), (long long)g.examples,
                            g.split.c_str(), 100 * g.rouge1, 100 * g.rouge2, 100 * g.rougeL, g.stem ? " (stemmed)" : "");
              if (!record.generationEvals.empty()) std::cout << "predictions: " << (out / "predictions.jsonl").string() << "\n";
              std::cout << "run record: " << (out / "run.json").string() << "\n";
              const bool saved = c.saveModel && record.status == "finished";
              if (saved && c.method != "prefix") std::cout << "model: " << (out / "model").string() << "\n";
              if (saved && c.method == "prefix") std::cout << "prefix: " << (out / "prefix").string() << "\n";
              if (saved && c.method == "lora") std::cout << "adapter: " << (out / "adapter").string() << "\n";
              if (record.status == "cancelled") {
                std::cout << "resume with: greentrainer train --resume " << c.outDir << "\n";
                setExitCode(g_signal != 0 ? 128 + int(g_signal) : 130);
              }
            });
          }};
}

}  // namespace gt::cli
