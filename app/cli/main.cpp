// greentrainer — the command-line tool. Subcommands come from one table (common_options.cpp).
#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include <iostream>
#include <string>
#include <vector>

#include "app/cli/common_options.h"
#include "app/cli/crash_report.h"
#include "app/cli/man_page.h"
#include "core/log/log.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "core/util/error.h"
#include "core/util/runtime_info.h"

namespace {

// "--name=" (an empty value after '=') becomes "--name" "": CLI11 would otherwise take the next
// argument as the value (`tokenize T --text= --json` encoded "--json").
std::vector<std::string> splitEmptyAssignments(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i > 0 && a.size() > 3 && a.compare(0, 2, "--") == 0 && a.find('=') == a.size() - 1) {
      args.push_back(a.substr(0, a.size() - 1));
      args.emplace_back();
    } else {
      args.push_back(std::move(a));
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  gt::useFastBlasKernels();  // before any BLAS call (core/util/blas_kernels.h)
  gt::keepFreedMemoryForReuse();  // before threads start (core/util/cpu_allocator.h)
  gt::cli::installCrashReport();
  gt::cli::setCrashPhase("parsing the command line");
  CLI::App app{"greentrainer: fine-tune transformer language models with adaptive backpropagation (GreenTrainer)"};
  app.require_subcommand(0, 1);
  app.footer("Exit status: 0 success, 1 error (the message names the file or option), 2 usage error, 128 + signal when a run\n"
             "is stopped by SIGINT (130), SIGTERM (143) or SIGHUP (129); `train --resume RUN_DIR` continues such a run.");
  std::string logLevel = "info";
  app.add_option("--log-level", logLevel, "trace, debug, info, warn, error or off")->capture_default_str();
  bool version = false;
  app.add_flag("--version", version, "Print version, LibTorch, BLAS and thread count");
  bool man = false;
  app.add_flag("--man", man, "Print the manual page (roff; e.g. greentrainer --man | man -l -)");

  std::function<void()> action;
  for (const auto& command : gt::cli::commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    auto run = std::make_shared<std::function<void()>>(command.setup(*sub));
    sub->callback([run, &action] { action = *run; });
  }

  try {
    auto args = splitEmptyAssignments(argc, argv);
    std::vector<char*> argp;
    for (auto& a : args) argp.push_back(a.data());
    app.parse(int(argp.size()), argp.data());
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints --help / the usage error
    return code == 0 ? 0 : 2;      // usage errors exit 2, as the README says
  }
  try {
    gt::log::setLevel(gt::log::parseLevel(logLevel));
    if (version) {
      std::cout << "greentrainer " << GT_VERSION << "\n" << gt::runtimeSummary();
      return 0;
    }
    if (man) {
      std::cout << gt::cli::manPage(app, GT_VERSION);
      return 0;
    }
    if (!action) {
      std::cout << app.help();
      return 0;
    }
    gt::cli::setCrashPhase("running the command");
    action();
    gt::cli::setCrashPhase("exiting after the command finished (static destructors, library teardown)");
    return gt::cli::exitCode();
  } catch (const c10::Error& e) {
    // A LibTorch error: its message without the C++ backtrace (for users, not for LibTorch's developers).
    const std::string what = e.what_without_backtrace();
    if (what.find("can't allocate memory") != std::string::npos || what.find("out of memory") != std::string::npos)
      std::cerr << "error: out of memory: " << what.substr(0, what.find('\n')) << " (use smaller inputs, batches or models)\n";
    else
      std::cerr << "error: " << what << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory (use smaller inputs, batches or models)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
