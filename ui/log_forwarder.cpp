#include "ui/log_forwarder.h"

#include "core/log/log.h"

namespace gt::ui {

LogForwarder& LogForwarder::instance() {
  static LogForwarder* forwarder = [] {
    auto* f = new LogForwarder;  // lives as long as the process: the sink may fire from any thread
    gt::log::addSink([f](gt::log::Level level, const std::string& text) {
      static const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
      // Emitting from a non-UI thread: connections to UI-thread objects are queued.
      Q_EMIT f->line(QString::fromLatin1(names[int(level)]), QString::fromStdString(text));
    });
    return f;
  }();
  return *forwarder;
}

}  // namespace gt::ui
