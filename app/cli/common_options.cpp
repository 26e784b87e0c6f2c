#include "app/cli/common_options.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <ATen/Parallel.h>

#include <sstream>

#include "core/io/dtype_name.h"
#include "core/train/mixed_precision.h"
#include "core/util/error.h"
#include "core/util/runtime_info.h"

namespace gt::cli {

std::pair<std::string, RunRecord> loadRunArgument(const std::string& run) {
  std::filesystem::path p(run);
  if (std::filesystem::is_directory(p)) p /= "run.json";
  check(std::filesystem::is_regular_file(p), run + ": no run record (expected RUN_DIR/run.json)");
  const auto name = (p.filename() == "run.json" ? p.parent_path() : p).filename().string();
  return {name.empty() ? run : name, RunRecord::load(p)};
}

void addJsonOption(CLI::App& cmd, CommonOptions& o) { cmd.add_flag("--json", o.json, "Print machine-readable JSON"); }

void addModelOptions(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--dtype", o.dtype, "Compute dtype: float32, bfloat16 or float16")->capture_default_str();
  cmd.add_option("--device", o.device, "cpu or cuda[:N]")->capture_default_str();
  cmd.add_option("--threads", o.threads, "Intra-op CPU threads (0: LibTorch's default)")->capture_default_str();
}

void addPrecisionOption(CLI::App& cmd, CommonOptions& o) {
  cmd.add_option("--precision", o.precision,
                 "auto, fp32, bf16-mixed, fp16-mixed, bf16-true or fp16-true (auto: bf16-mixed on a CUDA device with bfloat16, else fp32 "
                 "or the -true precision of --dtype)")
      ->capture_default_str();
}

std::string applyPrecision(CommonOptions& o) {
  const std::string precision = resolvePrecision(o.precision, o.dtype, o.device);
  o.dtype = weightsDtype(precision);
  return precision;
}

void applyCommonOptions(const CommonOptions& o) {
  check(o.dtype == "float32" || o.dtype == "bfloat16" || o.dtype == "float16",
        "--dtype: expected float32, bfloat16 or float16, got '" + o.dtype + "'");
  check(o.device == "cpu" || o.device.rfind("cuda", 0) == 0, "--device: expected cpu or cuda[:N], got '" + o.device + "'");
  checkDeviceAndDtype(o.device, o.dtype);
  check(o.threads >= 0, "--threads: expected a non-negative count");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  check(o.threads <= int(4 * cores), "--threads: " + std::to_string(o.threads) + " is more than 4 x the " + std::to_string(cores) +
                                         " cores of this machine (0: LibTorch's default)");
  if (o.threads > 0) setComputeThreads(o.threads);
}

LoadOptions loadOptions(const CommonOptions& o) {
  LoadOptions lo;
  lo.dtype = dtypeFromName(o.dtype);
  lo.device = torch::Device(o.device);
  return lo;
}

namespace {
int g_exitCode = 0;
}
void setExitCode(int code) { g_exitCode = code; }
int exitCode() { return g_exitCode; }

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {inspectCommand(), tokenizeCommand(), generateCommand(), profileCommand(),
                                               selectCommand(),  trainCommand(),    benchCommand(),
                                               datasetCommand(), tokenizerCommand(), pretrainCommand(),
                                               evalCommand(),    rougeCommand(),     compareCommand(), selectionsCommand()};
  return table;
}

std::vector<int64_t> parseIdList(const std::string& text, const std::string& option) {
  std::vector<int64_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    check(b != std::string::npos, option + ": empty entry in '" + text + "' (expected comma-separated integers)");
    item = item.substr(b, e - b + 1);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    check(used == item.size(), option + ": '" + item + "' is not an integer (expected comma-separated token ids)");
    ids.push_back(v);
  }
  check(!ids.empty(), option + ": expected at least one token id");
  return ids;
}

}  // namespace gt::cli
