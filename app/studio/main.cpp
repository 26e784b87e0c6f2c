// greentrainer-studio: the desktop application (ui/). With --screenshot it renders the main
// window (optionally showing a finished run record) to an image and exits, for the README and
// for checking the window on a machine without a display.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QThread>
#include <cstdio>

#include "core/report/run_record.h"
#include "core/util/blas_kernels.h"
#include "core/util/cpu_allocator.h"
#include "ui/main_window.h"
#include "ui/setup_panel.h"

namespace {

QSize parseSize(const QString& text, bool* ok) {
  const auto parts = text.toLower().split('x');
  int w = 0, h = 0;
  bool okW = false, okH = false;
  if (parts.size() == 2) w = parts[0].toInt(&okW), h = parts[1].toInt(&okH);
  *ok = okW && okH && w >= 320 && h >= 240 && w <= 8000 && h <= 8000;
  return {w, h};
}

int fail(const QString& message) {
  std::fprintf(stderr, "greentrainer-studio: %s\n", message.toLocal8Bit().constData());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  gt::useFastBlasKernels();  // before any BLAS call (core/util/blas_kernels.h)
  gt::keepFreedMemoryForReuse();  // before threads start (core/util/cpu_allocator.h)
  for (int i = 1; i < argc; ++i)
    if (QString(argv[i]) == "--screenshot" && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setOrganizationName("GreenTrainer");
  QApplication::setApplicationName("GreenTrainer Studio");
  QApplication::setApplicationVersion(GT_VERSION);
  QApplication::setDesktopFileName("greentrainer-studio");

  QCommandLineParser parser;
  parser.setApplicationDescription("Fine-tune transformer language models with adaptive backpropagation (GreenTrainer).");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption screenshot("screenshot", "Render the main window to OUT (.png) and exit.", "OUT");
  QCommandLineOption run("run", "With --screenshot: show this run record (run.json).", "RECORD");
  QCommandLineOption overlay("overlay", "Overlay a second run record (e.g. Full FT).", "RECORD");
  QCommandLineOption size("size", "With --screenshot: window size WIDTHxHEIGHT (default 1600x1000).", "WxH", "1600x1000");
  QCommandLineOption view("view", "With --screenshot: the view to show: overview, tensors or backward.", "VIEW", "overview");
  parser.addOptions({screenshot, run, overlay, size, view});
  parser.addPositionalArgument("RECORD", "A run record to open (run.json).", "[RECORD]");
  parser.process(app);

  if (parser.isSet(screenshot)) {
    bool ok = false;
    const QSize windowSize = parseSize(parser.value(size), &ok);
    if (!ok) return fail("--size: expected WIDTHxHEIGHT between 320x240 and 8000x8000, got '" + parser.value(size) + "'");
    const QStringList views = {"overview", "tensors", "backward"};
    if (!views.contains(parser.value(view))) return fail("--view: expected overview, tensors or backward, got '" + parser.value(view) + "'");
    gt::ui::MainWindow window(false);
    window.showView(gt::ui::MainWindow::View(views.indexOf(parser.value(view))));
    for (const auto& [option, overlayIt] : {std::pair{&run, false}, std::pair{&overlay, true}}) {
      if (!parser.isSet(*option)) continue;
      const QString path = parser.value(*option);
      gt::RunRecord record;
      try {
        record = gt::RunRecord::load(path.toStdString());  // report a bad file here, not in a dialog nobody sees
      } catch (const std::exception& e) {
        return fail(QString::fromStdString(e.what()));
      }
      if (overlayIt) {
        window.overlayRunRecord(path);
        continue;
      }
      // Show the run's setup too when its model and data are on this machine.
      try {
        const auto config = gt::RunConfig::fromJson(record.config, path.toStdString());
        if (QFileInfo(QString::fromStdString(config.model)).isDir() && QFileInfo(QString::fromStdString(config.data)).isFile()) {
          window.setup()->setConfig(config);
          QElapsedTimer waited;
          waited.start();
          while (window.setup()->busy() && waited.elapsed() < 60000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
            QThread::msleep(10);
          }
        }
      } catch (const std::exception&) {
        // an older record without a readable config: the views still show it
      }
      window.openRunRecord(path);
    }
    const QString out = parser.value(screenshot);
    if (QFileInfo(out).isDir()) return fail(out + ": is a folder; expected a file name for the screenshot (.png)");
    const QImage image = window.screenshot(windowSize);
    const QString temp = out + ".part.png";
    if (image.isNull() || !image.save(temp, "PNG")) {
      QFile::remove(temp);
      return fail(out + ": cannot write the screenshot");
    }
    QFile::remove(out);
    if (!QFile::rename(temp, out)) {
      QFile::remove(temp);
      return fail(out + ": cannot write the screenshot");
    }
    std::printf("wrote %s (%dx%d)\n", out.toLocal8Bit().constData(), image.width(), image.height());
    return 0;
  }
  if (parser.isSet(run)) return fail("--run needs --screenshot; to open a record in the window pass it as RECORD");

  gt::ui::MainWindow window;
  window.show();
  const auto records = parser.positionalArguments();
  if (!records.isEmpty()) window.openRunRecord(records.first());
  if (parser.isSet(overlay)) window.overlayRunRecord(parser.value(overlay));
  return app.exec();
}
