#include "core/log/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <stdexcept>

namespace gt::log {
namespace {

spdlog::level::level_enum toSpd(Level l) {
  switch (l) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

Level fromSpd(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return Level::Trace;
    case spdlog::level::debug: return Level::Debug;
    case spdlog::level::info: return Level::Info;
    case spdlog::level::warn: return Level::Warn;
    case spdlog::level::err:
    case spdlog::level::critical: return Level::Error;
    default: return Level::Off;
  }
}

class CallbackSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(Sink sink) : sink_(std::move(sink)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    sink_(fromSpd(msg.level), std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  Sink sink_;
};

std::shared_ptr<spdlog::logger> logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto l = spdlog::stderr_color_mt("gt");
    l->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return instance;
}

}  // namespace

Level parseLevel(const std::string& name) {
  if (name == "trace") return Level::Trace;
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  if (name == "off") return Level::Off;
  throw std::invalid_argument("--log-level: expected one of trace, debug, info, warn, error, off; got '" +
                              name + "'");
}

void setLevel(Level level) { logger()->set_level(toSpd(level)); }
Level level() { return fromSpd(logger()->level()); }

void trace(const std::string& m) { logger()->trace(m); }
void debug(const std::string& m) { logger()->debug(m); }
void info(const std::string& m) { logger()->info(m); }
void warn(const std::string& m) { logger()->warn(m); }
void error(const std::string& m) { logger()->error(m); }

void addSink(Sink sink) { logger()->sinks().push_back(std::make_shared<CallbackSink>(std::move(sink))); }

}  // namespace gt::log
