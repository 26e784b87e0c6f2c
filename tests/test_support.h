// Helpers shared by the Qt Test executables: fixture lookup, temporary folders, tensor checks.
#pragma once
#include <torch/nn/module.h>
#include <torch/types.h>

#include <QString>
#include <QStringList>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/train/run_config.h"
#include "core/train/run_control.h"
#include "core/train/run_observer.h"

namespace gt::test {

// tests/fixtures/<relative> when it exists (small copies kept in the repository), else
// ../shared/fixtures/<relative>; empty path when neither exists (tests then QSKIP), unless
// GT_REQUIRE_FIXTURES=1 (set by .ci/run), where a missing fixture aborts the test.
std::filesystem::path fixture(const std::string& relative);

// A run on the tiny fixtures every trainer test starts from: the OPT model, the bytes-only
// tokenizer, data/tiny.jsonl (10 train rows, a valid split), batch 4, lr 1e-3, 128 tokens, into `out`.
gt::RunConfig tinyOptRun(const std::filesystem::path& out);
// A random T5 (gated-GELU, 2 + 2 layers, d_model 32) with the SentencePiece fixture's 4,096 pieces
// as its vocabulary, written as a model folder with that tokenizer; false when the fixture is absent.
bool writeTinyT5(const std::filesystem::path& dir);

// A fresh empty directory under the system temp folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<nlohmann::json> readJsonl(const std::filesystem::path& path);
std::vector<int64_t> toIds(const torch::Tensor& t);
double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b);

// Compares every parameter's gradient in `model` with "grad.<name>" in the reference file, within
// 1e-4 of the reference tensor's largest magnitude (the fixtures' README). A reference below 1e-7 is
// analytically zero (e.g. a key bias: softmax ignores a shift of every score of a query); with
// allowZeroReference ours must then be below 1e-7 too, without it that is a failure (every tensor
// must get a real gradient). Returns "" when all match, else the first mismatch; `checked` counts
// the tensors compared.
std::string gradientMismatch(torch::nn::Module& model, const std::filesystem::path& reference, bool allowZeroReference, int& checked);

// Runs `body` and returns the gt::Error message it throws ("" when it throws nothing).
std::string errorMessage(const std::function<void()>& body);

void writeFile(const std::filesystem::path& path, const std::string& bytes);
// A copy of the model folder (config.json, model.safetensors) in `into`, its config.json updated with `changes`.
std::filesystem::path modelWithConfig(const std::filesystem::path& modelDir, const std::filesystem::path& into, const nlohmann::json& changes);
// modelWithConfig with every dropout rate set to 0, for tests that compare two runs whose batches
// differ in shape (other shapes draw other masks).
std::filesystem::path modelWithoutDropout(const std::filesystem::path& modelDir, const std::filesystem::path& into);
// A RAPL zone as Linux powercap shows it (<root>/<id>/{name, energy_uj, max_energy_range_uj}), for
// tests of the energy meter (GT_POWERCAP_ROOT names such a tree).
void writePowercapZone(const std::filesystem::path& root, const std::string& id, const std::string& name, uint64_t energyUj,
                       uint64_t rangeUj);
std::string readFile(const std::filesystem::path& path);

// A program run to completion: exit code (-1 when killed by a signal or after timeoutMs, -2 when it
// could not start, with the reason in err), stdout, stderr.
struct CliResult {
  int code;
  QString out, err;
};
CliResult runProcess(const QString& program, const QStringList& args, int timeoutMs = 300000);
// The greentrainer CLI (GT_CLI_PATH).
CliResult runCli(const QStringList& args, int timeoutMs = 300000);

// Cancels a run through its RunControl right after its `steps`-th optimizer step.
class CancelAfter : public RunObserver {
 public:
  CancelAfter(RunControl& control, int64_t steps) : control_(control), steps_(steps) {}
  void stepDone(const StepEvent& e) override {
    if (e.step + 1 == steps_) control_.cancel();
  }

 private:
  RunControl& control_;
  int64_t steps_;
};

}  // namespace gt::test
