// gt::log — a small logging facade over spdlog. This header includes no spdlog so that
// translation units using Torch can log (PyTorch 2.x's bundled fmt clashes with Debian's spdlog).
#pragma once
#include <functional>
#include <string>

namespace gt::log {

enum class Level { Trace, Debug, Info, Warn, Error, Off };

// Parses "trace|debug|info|warn|error|off"; throws gt::Error naming the option otherwise.
Level parseLevel(const std::string& name);
void setLevel(Level level);
Level level();

void trace(const std::string& message);
void debug(const std::string& message);
void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);

// Extra destination for log lines (the GUI's log pane). Called on the logging thread.
using Sink = std::function<void(Level, const std::string&)>;
void addSink(Sink sink);

}  // namespace gt::log
