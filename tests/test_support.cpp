#include "test_support.h"

#include <QProcess>
#include <fstream>
#include <random>
#include <sstream>

#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/model/model_factory.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "core/util/error.h"

namespace gt::test {
namespace {
// The test programs compute with the kernels the CLI and the studio pick (core/util/blas_kernels.h),
// so a result computed here and one from a spawned greentrainer agree to the bit.
[[maybe_unused]] const bool kFastBlasKernels = (useFastBlasKernels(), true);
// And with the CLI's malloc settings (core/util/cpu_allocator.h), which test_runtime checks.
[[maybe_unused]] const bool kKeepFreedMemory = (keepFreedMemoryForReuse(), true);
}  // namespace

namespace fs = std::filesystem;

CliResult runProcess(const QString& program, const QStringList& args, int timeoutMs) {
  QProcess p;
  p.start(program, args);
  if (!p.waitForStarted()) return {-2, "", program + ": could not start (" + p.errorString() + ")"};
  if (!p.waitForFinished(timeoutMs)) {  // still running: exitCode() would read 0, as if it had succeeded
    p.kill();
    p.waitForFinished();
    return {-1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError()) + "\n" + program + ": killed after " + QString::number(timeoutMs) + " ms"};
  }
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

CliResult runCli(const QStringList& args, int timeoutMs) { return runProcess(GT_CLI_PATH, args, timeoutMs); }

bool writeTinyT5(const fs::path& dir) {
  const auto spm = fixture("tokenizers/sentencepiece-4k/tokenizer.model");
  if (spm.empty()) return false;
  torch::manual_seed(3);
  auto model = gt::createSeq2SeqModel(gt::ModelConfig::fromJson(nlohmann::json::parse(R"({"model_type":"t5","vocab_size":4096,
    "d_model":32,"d_kv":8,"d_ff":64,"num_layers":2,"num_heads":4,"feed_forward_proj":"gated-gelu","pad_token_id":0,"eos_token_id":2,
    "decoder_start_token_id":0})")));
  gt::saveModel(*model, dir);
  fs::copy_file(spm, dir / "tokenizer.model");
  return true;
}

gt::RunConfig tinyOptRun(const fs::path& out) {
  gt::RunConfig c;
  c.model = fixture("models/opt").string();
  c.tokenizer = fixture("tokenizers/bytes-only").string();
  c.data = fixture("data/tiny.jsonl").string();
  c.split = "train";
  c.evalSplit = "valid";
  c.batchSize = 4;
  c.lr = 1e-3;
  c.maxLength = 128;
  c.outDir = out.string();
  return c;
}

fs::path fixture(const std::string& relative) {
  const fs::path local = fs::path(GT_TEST_FIXTURES) / relative;
  if (fs::exists(local)) return local;
  const fs::path shared = fs::path(GT_SHARED_FIXTURES) / relative;
  if (fs::exists(shared)) return shared;
  // CI has every fixture (../shared included): there a missing one is a failure, not a skip.
  if (qEnvironmentVariableIntValue("GT_REQUIRE_FIXTURES") == 1)
    qFatal("fixture %s not found in %s or %s (GT_REQUIRE_FIXTURES=1: tests must not skip)", relative.c_str(), GT_TEST_FIXTURES, GT_SHARED_FIXTURES);
  return {};
}

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("gt-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<nlohmann::json> readJsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

std::vector<int64_t> toIds(const torch::Tensor& t) {
  auto c = t.to(torch::kLong).contiguous().view({-1});
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

std::string gradientMismatch(torch::nn::Module& model, const std::filesystem::path& reference, bool allowZeroReference, int& checked) {
  SafetensorsFile ref(reference);
  checked = 0;
  for (const auto& p : model.named_parameters(true)) {
    const std::string key = "grad." + p.key();
    if (!ref.contains(key)) return "reference lacks " + key;
    const auto expected = ref.tensor(key);
    const double scale = expected.abs().max().item<double>();
    const auto grad = p.value().grad();
    if (!grad.defined()) return p.key() + " has no gradient";
    if (scale < 1e-7) {
      if (!allowZeroReference) return key + " is zero in the reference";
      const double ours = grad.abs().max().item<double>();
      if (ours >= 1e-7) return p.key() + " should be ~0, is " + std::to_string(ours);
    } else {
      const double rel = maxAbsDiff(grad, expected) / scale;
      if (rel >= 1e-4) return p.key() + " gradient off by " + std::to_string(rel) + " of max";
    }
    ++checked;
  }
  return "";
}

std::string errorMessage(const std::function<void()>& body) {
  try {
    body();
  } catch (const gt::Error& e) {
    return e.what();
  }
  return "";
}

std::filesystem::path modelWithConfig(const std::filesystem::path& modelDir, const std::filesystem::path& into, const nlohmann::json& changes) {
  std::filesystem::create_directories(into);
  auto config = nlohmann::json::parse(readFile(modelDir / "config.json"));
  config.update(changes);
  writeFile(into / "config.json", config.dump());
  std::filesystem::copy_file(modelDir / "model.safetensors", into / "model.safetensors", std::filesystem::copy_options::overwrite_existing);
  return into;
}

std::filesystem::path modelWithoutDropout(const std::filesystem::path& modelDir, const std::filesystem::path& into) {
  nlohmann::json noDropout;
  for (const char* key : {"dropout", "attention_dropout", "hidden_dropout", "resid_pdrop", "attn_pdrop", "embd_pdrop", "dropout_rate"})
    noDropout[key] = 0.0;
  return modelWithConfig(modelDir, into, noDropout);
}

void writeFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

void writePowercapZone(const fs::path& root, const std::string& id, const std::string& name, uint64_t energyUj, uint64_t rangeUj) {
  fs::create_directories(root / id);
  writeFile(root / id / "name", name + "\n");
  writeFile(root / id / "energy_uj", std::to_string(energyUj) + "\n");
  writeFile(root / id / "max_energy_range_uj", std::to_string(rangeUj) + "\n");
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace gt::test
