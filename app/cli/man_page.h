// `greentrainer --man`: the manual page (roff, man(7) macros) written from the same CLI11 option
// table that --help prints, so the page lists every command and option the binary has. The
// build installs its output as greentrainer.1 (packaging/CMakeLists.txt).
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace gt::cli {

std::string manPage(const CLI::App& app, const std::string& version);

}  // namespace gt::cli
