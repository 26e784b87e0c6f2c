// Forwards the engine's log lines (gt::log sink, called on whichever thread logs) to the UI
// thread as a queued signal. One instance for the process, never destroyed, so a line logged
// while a window closes has somewhere safe to go.
#pragma once
#include <QObject>
#include <QString>

namespace gt::ui {

class LogForwarder : public QObject {
  Q_OBJECT

 public:
  static LogForwarder& instance();  // installs the sink on first use

 Q_SIGNALS:
  void line(QString level, QString text);

 private:
  LogForwarder() = default;
};

}  // namespace gt::ui
