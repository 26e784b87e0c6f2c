// The CLI's option table: every subcommand registers itself here and takes its shared options
// (--json, --dtype, --device, --threads) from the same definitions, so they read alike everywhere.
#pragma once
#include <CLI/CLI.hpp>

#include "core/io/checkpoint.h"
#include "core/report/run_record.h"

#include <functional>
#include <string>
#include <vector>

namespace gt::cli {

struct CommonOptions {
  bool json = false;
  std::string dtype = "float32";
  std::string device = "cpu";
  int threads = 0;  // 0: LibTorch's default
  std::string precision = "auto";  // commands that compute in a precision (addPrecisionOption)
};

// Adds the options shared by commands that load a model.
void addModelOptions(CLI::App& cmd, CommonOptions& o);
void addJsonOption(CLI::App& cmd, CommonOptions& o);
// --precision for commands that run a model (eval, generate): as `train --precision`.
void addPrecisionOption(CLI::App& cmd, CommonOptions& o);
// The precision --precision/--dtype/--device resolve to (core/train/mixed_precision.h); sets
// o.dtype to the weights' dtype of that precision, so loadOptions(o) loads them in it.
std::string applyPrecision(CommonOptions& o);
// --dtype and --device as options for loading a model (names validated by applyCommonOptions).
LoadOptions loadOptions(const CommonOptions& o);
// Applies --threads; validates dtype/device names (gt::Error naming the option).
void applyCommonOptions(const CommonOptions& o);

// A RUN_DIR argument (a run folder or its run.json) read back: the run's name (its folder's) and record.
// gt::Error naming the argument when there is no record.
std::pair<std::string, RunRecord> loadRunArgument(const std::string& run);

struct Command {
  const char* name;
  const char* help;
  // Declares the subcommand's options on `cmd` and returns what to run once parsed.
  std::function<std::function<void()>(CLI::App& cmd)> setup;
};

// The table of subcommands, in --help order.
const std::vector<Command>& commands();

Command inspectCommand();
Command tokenizeCommand();
Command generateCommand();
Command profileCommand();
Command selectCommand();
Command trainCommand();
Command benchCommand();
Command datasetCommand();
Command tokenizerCommand();
Command pretrainCommand();
Command evalCommand();
Command rougeCommand();
Command compareCommand();
Command selectionsCommand();

// Exit status: 0 success, 1 error, 2 usage, 128 + signal for a run stopped by SIGINT/SIGTERM/SIGHUP.
// A command sets it when it ends in something other than success without throwing.
void setExitCode(int code);
int exitCode();

std::vector<int64_t> parseIdList(const std::string& text, const std::string& option);

}  // namespace gt::cli
