// How responsive greentrainer-studio stays while it trains: the real main window (offscreen
// unless a display is set) trains the demo model, and a 5 ms timer on the UI thread records
// every gap between its ticks. Prints the largest stall (gap minus the period), the 99th
// percentile, and how many stalls exceeded 50 ms. A benchmark, not a test: nothing is asserted.
//   bench_ui_latency [--examples N] [--epochs E] [--rho R] [--method gt|full|...]
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "core/train/run_config.h"
#include "core/util/runtime_info.h"
#include "ui/main_window.h"
#include "ui/setup_panel.h"

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  // The app's demo setup without validation loss or ROUGE: training only, 160 pairs, 1 epoch.
  gt::RunConfig c = gt::ui::demoRunConfig();
  c.evalSplit.clear();
  c.generateSplit.clear();
  c.maxTrainExamples = 160;
  c.epochs = 1;
  const QStringList args = app.arguments();
  for (int i = 1; i + 1 < args.size(); i += 2) {
    if (args[i] == "--examples") c.maxTrainExamples = args[i + 1].toLongLong();
    else if (args[i] == "--epochs") c.epochs = args[i + 1].toLongLong();
    else if (args[i] == "--rho") c.rho = args[i + 1].toDouble();
    else if (args[i] == "--method") c.method = args[i + 1].toStdString();
    else {
      std::fprintf(stderr, "bench_ui_latency: unknown option %s\n", qPrintable(args[i]));
      return 2;
    }
  }
  QTemporaryDir out;
  c.outDir = QDir(out.path()).filePath("run").toStdString();
  c.saveModel = false;

  gt::ui::MainWindow window(false);
  window.resize(1600, 1000);
  window.show();
  window.setup()->setConfig(c);
  while (window.setup()->busy() || !window.setup()->model()) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QThread::msleep(5);
  }

  std::vector<double> gaps;
  QElapsedTimer clock;
  qint64 last = -1;
  QTimer tick;
  tick.setInterval(5);
  QObject::connect(&tick, &QTimer::timeout, [&] {
    const qint64 now = clock.nsecsElapsed();
    if (last >= 0) gaps.push_back(std::max(0.0, double(now - last) / 1e6 - 5.0));
    if (!gaps.empty() && gaps.back() > 30)
      std::printf("stall %.1f ms at %.2f s, %zu steps done, %zu selections\n", gaps.back(), double(now) / 1e9,
                  window.shownRecord().steps.size(), window.shownRecord().selections.size());
    last = now;
  });
  if (!window.startRun()) return 1;
  clock.start();
  tick.start();
  while (window.running()) QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
  tick.stop();
  const double seconds = double(clock.elapsed()) / 1000;

  std::sort(gaps.begin(), gaps.end());
  const auto over50 = std::count_if(gaps.begin(), gaps.end(), [](double g) { return g > 50; });
  const auto& r = window.shownRecord();
  std::printf("run: %s, %zu steps, %zu selections, %.1f s, %d compute threads on %d cores\n", r.status.c_str(), r.steps.size(),
              r.selections.size(), seconds, gt::computeThreads(), QThread::idealThreadCount());
  double stepMs = 0;
  for (const auto& st : r.steps) stepMs += st.forwardMs + st.backwardMs + st.optimizerMs;
  double importanceMs = 0;
  for (const auto& sel : r.selections) importanceMs += sel.importanceMs;
  std::printf("trainer: wall %.1f s, steps %.1f s (%.2f s/step), importance %.1f s\n", r.wallSeconds, stepMs / 1000,
              r.steps.empty() ? 0.0 : stepMs / 1000 / double(r.steps.size()), importanceMs / 1000);
  if (gaps.empty()) return 1;
  std::printf("UI-thread stall (5 ms timer, %zu ticks): max %.1f ms, p99 %.1f ms, median %.2f ms, stalls > 50 ms: %ld\n", gaps.size(),
              gaps.back(), gaps[gaps.size() * 99 / 100], gaps[gaps.size() / 2], long(over50));
  return r.status == "finished" ? 0 : 1;
}
