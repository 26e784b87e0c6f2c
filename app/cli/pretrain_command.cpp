// greentrainer pretrain --config config.json --tokenizer PATH --data FILES --out DIR
//   [--valid-data FILE] [--block-size 256] [--batch-size 16] [--steps N] [--lr X] [--warmup N]
//   [--save-every N] [--resume] [--dtype bfloat16] [--device cuda] [--precision bf16-mixed]
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "app/cli/common_options.h"
#include "core/report/comparison.h"
#include "core/train/pretrainer.h"

namespace gt::cli {
namespace {
volatile std::sig_atomic_t g_stopPretraining = 0;
void onPretrainInterrupt(int) { g_stopPretraining = 1; }
}  // namespace

Command pretrainCommand() {
  return {"pretrain", "Train a model from scratch on plain text (checkpoints, resume)", [](CLI::App& cmd) {
            struct Args {
              PretrainConfig c;
              std::vector<std::string> data;
              std::string config, tokenizer, valid, out;
              int threads = 0;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("--config", a->config, "config.json of the architecture (random init)")->required();
            cmd.add_option("--tokenizer", a->tokenizer, "Tokenizer (tokenizer.json or a folder)")->required();
            cmd.add_option("--data", a->data, "Text files (a document per line) or .jsonl (source/target)")->required();
            cmd.add_option("--valid-data", a->valid, "Held-out text for validation loss at checkpoints");
            cmd.add_option("--out", a->out, "Output folder: checkpoint/ and model/")->required();
            cmd.add_option("--block-size", a->c.blockSize, "Tokens per training sequence")->capture_default_str();
            cmd.add_option("--batch-size", a->c.batchSize, "Sequences per step")->capture_default_str();
            cmd.add_option("--steps", a->c.steps, "Optimizer steps")->capture_default_str();
            cmd.add_option("--lr", a->c.lr, "Peak learning rate (linear warm-up, cosine decay)")->capture_default_str();
            cmd.add_option("--warmup", a->c.warmupSteps, "Warm-up steps")->capture_default_str();
            cmd.add_option("--weight-decay", a->c.weightDecay, "AdamW weight decay")->capture_default_str();
            cmd.add_option("--save-every", a->c.saveEvery, "Checkpoint every N steps")->capture_default_str();
            cmd.add_option("--seed", a->c.seed, "Seed for initialisation and data order")->capture_default_str();
            cmd.add_option("--dtype", a->c.dtype, "dtype of the final saved model: float32, bfloat16, float16")->capture_default_str();
            cmd.add_flag("--resume", a->c.resume, "Continue from OUT/checkpoint when it exists");
            cmd.add_option("--threads", a->threads, "Intra-op CPU threads (0: LibTorch's default)");
            cmd.add_option("--device", a->c.device, "cpu or cuda[:N]")->capture_default_str();
            cmd.add_option("--precision", a->c.precision, "fp32, bf16-mixed or fp16-mixed (fp32 master weights either way)")->capture_default_str();
            return std::function<void()>([a] {
              CommonOptions common;
              common.threads = a->threads;
              common.dtype = a->c.dtype;
              common.device = a->c.device;
              applyCommonOptions(common);
              a->c.modelConfig = a->config;
              a->c.tokenizer = a->tokenizer;
              a->c.validData = a->valid;
              a->c.outDir = a->out;
              for (const auto& d : a->data) a->c.data.emplace_back(d);
              const bool tty = isatty(fileno(stderr));
              double elapsed = 0;
              g_stopPretraining = 0;
              std::signal(SIGINT, onPretrainInterrupt);
              const auto r = pretrain(a->c, [&](const PretrainProgress& p) {
                elapsed += p.seconds;
                const double eta = elapsed / double(p.step) * double(p.steps - p.step);
                if (tty && !p.checkpoint)
                  std::fprintf(stderr, "\rstep %lld/%lld loss %.4f lr %.2e ETA %.0fs   ", (long long)p.step, (long long)p.steps, p.loss, p.lr, eta);
                else
                  std::fprintf(stderr, "%sstep %lld/%lld loss %.4f lr %.2e ETA %.0fs\n", tty ? "\r" : "", (long long)p.step, (long long)p.steps,
                               p.loss, p.lr, eta);
                if (p.checkpoint)
                  std::fprintf(stderr, "checkpoint at step %lld%s\n", (long long)p.step,
                               p.validLoss >= 0 ? (", validation loss " + std::to_string(p.validLoss)).c_str() : "");
                return g_stopPretraining == 0;
              });
              std::signal(SIGINT, SIG_DFL);
              std::cout << "parameters: " << r.parameters << "\ntrain tokens: " << r.trainTokens << "\nsteps: " << r.steps
                        << "\nfinal train loss: " << r.finalLoss << "\n";
              if (r.validLoss >= 0) std::cout << "validation loss: " << r.validLoss << "\n";
              std::cout << energySummary(r.energyJoules, r.energySources, r.energyNote) << "\n";
              std::cout << "model: " << (std::filesystem::path(a->out) / "model").string() << "\n";
            });
          }};
}

}  // namespace gt::cli
