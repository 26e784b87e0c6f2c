#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>

#include "core/report/comparison.h"
#include "core/train/resumable_run.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"
#include "core/util/runtime_info.h"
#include "ui/backward_pass_view.h"
#include "ui/demo_setup.h"
#include "ui/heatmap_plot.h"
#include "ui/log_forwarder.h"
#include "ui/plot_export.h"
#include "ui/recent_files.h"
#include "ui/run_status.h"
#include "ui/run_worker.h"
#include "ui/setup_panel.h"
#include "ui/studio_icon.h"
#include "ui/tensor_table.h"
#include "ui/training_curves.h"

namespace gt::ui {
namespace {

double nowSeconds() { return double(QDateTime::currentMSecsSinceEpoch()) / 1000.0; }

}  // namespace

MainWindow::MainWindow(bool persistent, QWidget* parent) : QMainWindow(parent), persistent_(persistent) {
  // Leave one core to the UI thread. On 2 cores, two compute threads (OpenMP + OpenBLAS pools)
  // contending with it made steps 1.7x slower and the UI stall up to 97 ms
  // (tests/bench/ui_latency.cpp). Set here, on the main thread: set from the worker thread it
  // did not reach OpenBLAS's pool. OMP_NUM_THREADS / OPENBLAS_NUM_THREADS, when set, win.
  if (qEnvironmentVariableIsEmpty("OMP_NUM_THREADS") && qEnvironmentVariableIsEmpty("OPENBLAS_NUM_THREADS"))
    setComputeThreads(std::max(1, QThread::idealThreadCount() - 1));
  setWindowTitle("GreenTrainer Studio");
  setWindowIcon(studioIcon());
  worker_ = new RunWorker(this);
  buildViews();
  buildActions();
  connectWorker();
  redraw_ = new QTimer(this);
  redraw_->setInterval(200);  // plots follow the run at 5 Hz, whatever the step rate
  connect(redraw_, &QTimer::timeout, this, [this] {
    if (dirty_) renderNow();
  });
  redraw_->start();
  connect(&LogForwarder::instance(), &LogForwarder::line, this, &MainWindow::appendLog);
  if (persistent_) loadDemoOrLast();
  updateActions();
  updateStatus();
  resize(1500, 950);
}

MainWindow::~MainWindow() {
  worker_->stop();
  worker_->wait();
}

void MainWindow::buildViews() {
  setup_ = new SetupPanel;
  auto* scroll = new QScrollArea;
  scroll->setWidget(setup_);
  scroll->setWidgetResizable(true);
  scroll->setMinimumWidth(440);

  heatmap_ = new HeatmapPlot;
  heatmap_->setObjectName("heatmap");
  loss_ = new LossPlot;
  loss_->setObjectName("lossPlot");
  flops_ = new FlopsPlot;
  flops_->setObjectName("flopsPlot");
  auto* curves = new QSplitter(Qt::Vertical);
  curves->addWidget(loss_);
  curves->addWidget(flops_);
  auto* overview = new QSplitter(Qt::Horizontal);
  overview->addWidget(heatmap_);
  overview->addWidget(curves);
  overview->setStretchFactor(0, 1);
  overview->setStretchFactor(1, 1);
  table_ = new TensorTable;
  table_->setObjectName("tensorTable");
  backward_ = new BackwardPassView;
  backward_->setObjectName("backwardView");
  tabs_ = new QTabWidget;
  tabs_->addTab(overview, "Selection && curves");
  tabs_->addTab(table_, "Tensors");
  tabs_->addTab(backward_, "Backward pass");

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(scroll);
  split->addWidget(tabs_);
  split->setStretchFactor(1, 1);
  setCentralWidget(split);

  log_ = new QPlainTextEdit;
  log_->setObjectName("log");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_->setFont(QFont("monospace", 9));
  auto* dock = new QDockWidget("Log", this);
  dock->setObjectName("logDock");
  dock->setWidget(log_);
  addDockWidget(Qt::BottomDockWidgetArea, dock);
  resizeDocks({dock}, {130}, Qt::Vertical);

  status_ = new QLabel;
  status_->setObjectName("statusText");
  status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long text must not widen the window
  progress_ = new QProgressBar;
  progress_->setMaximumWidth(220);
  progress_->setTextVisible(true);
  statusBar()->addWidget(status_, 1);
  statusBar()->addPermanentWidget(progress_);

  connect(setup_, &SetupPanel::errorOccurred, this, &MainWindow::showError);
  connect(setup_, &SetupPanel::selectionPreviewed, this, [this] {
    live_ = false;
    loaded_ = setup_->previewRecord();
    shownSelection_ = -1;
    appendLog("info", "preview: " + setup_->rhoSummary());
    render();
  });
  connect(setup_, &SetupPanel::rhoChanged, this, [this](double rho) {
    if (running()) {
      worker_->setRho(rho);
      appendLog("info", QString("rho set to %1: takes effect at the next selection").arg(rho, 0, 'f', 2));
    } else if (loaded_.status == "preview") {
      loaded_ = setup_->previewRecord();
      render();
    }
  });
  connect(setup_, &SetupPanel::modelReady, this, [this] {
    appendLog("info", "model: " + setup_->findChild<QLabel*>("modelInfo")->text());
    recent_->remember("recentModels", QString::fromStdString(setup_->config().model));
  });
  connect(setup_, &SetupPanel::datasetReady, this, [this] { recent_->remember("recentData", QString::fromStdString(setup_->config().data)); });
  connect(setup_, &SetupPanel::configChanged, this, [this] { updateActions(); });
  connect(heatmap_, &HeatmapPlot::selectionClicked, this, [this](int column) {
    shownSelection_ = column;
    table_->showSelection(shownRecord(), column);
    backward_->showSelection(shownRecord(), column);
    statusBar()->showMessage(QString("Tensors and backward pass: selection %1").arg(column + 1), 4000);
  });
}

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu("&File");
  openModelAction_ = file->addAction("Open &model folder...", this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Open model folder");
    if (!dir.isEmpty()) setup_->openModel(dir);
  });
  openModelAction_->setShortcut(QKeySequence::Open);
  openDataAction_ = file->addAction("Open &dataset...", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Open dataset", {}, "Datasets (*.jsonl *.json *.csv *.tsv);;All files (*)");
    if (!f.isEmpty()) setup_->openDataset(f);
  });
  openDataAction_->setShortcut(QKeySequence("Ctrl+D"));
  openRunAction_ = file->addAction("Open &run record...", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Open run record", {}, "Run records (run.json *.json)");
    if (!f.isEmpty()) openRunRecord(f);
  });
  openRunAction_->setShortcut(QKeySequence("Ctrl+Shift+O"));
  overlayAction_ = file->addAction("&Overlay a second run...", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Overlay run record", {}, "Run records (run.json *.json)");
    if (!f.isEmpty()) overlayRunRecord(f);
  });
  overlayAction_->setShortcut(QKeySequence("Ctrl+L"));
  clearOverlayAction_ = file->addAction("Remove the overlay", this, [this] {
    overlay_.reset();
    render();
  });
  file->addAction("Save run setu&p...", this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, "Save run setup", "run-config.json", "JSON (*.json)");
    if (!f.isEmpty()) saveSetup(f);
  });
  file->addAction("&Load run setup...", this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, "Load run setup", {}, "JSON (*.json)");
    if (!f.isEmpty()) loadSetup(f);
  });
  recent_ = new RecentFiles(file->addMenu("Recent"), persistent_, this);
  recent_->addKind("recentModels", "Model", [this](const QString& p) { setup_->openModel(p); });
  recent_->addKind("recentData", "Dataset", [this](const QString& p) { setup_->openDataset(p); });
  recent_->addKind("recentRuns", "Run", [this](const QString& p) { openRunRecord(p); });
  file->addSeparator();
  exportPlotAction_ = file->addAction("&Export plot...", this, [this] {
    ExportDialog dialog({"Selection heatmap", "Loss", "FLOPs"}, 0, QStandardPaths::writableLocation(QStandardPaths::PicturesLocation), this);
    if (dialog.exec() == QDialog::Accepted) exportPlot(dialog.plot(), dialog.path(), dialog.widthPx(), dialog.heightPx(), dialog.dpi());
  });
  exportPlotAction_->setShortcut(QKeySequence("Ctrl+E"));
  exportCsvAction_ = file->addAction("Export loss/FLOPs series (&CSV)...", this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, "Export steps CSV", "steps.csv", "CSV (*.csv)");
    if (!f.isEmpty()) exportStepsCsv(f);
  });
  exportCsvAction_->setShortcut(QKeySequence("Ctrl+Shift+E"));
  exportSelectionsAction_ = file->addAction("Export selections (CSV)...", this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, "Export selections CSV", "selections.csv", "CSV (*.csv)");
    if (!f.isEmpty()) exportSelectionsCsv(f);
  });
  exportRecordAction_ = file->addAction("&Save run record (JSON)...", this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, "Save run record", "run.json", "JSON (*.json)");
    if (!f.isEmpty()) exportRecord(f);
  });
  exportRecordAction_->setShortcut(QKeySequence::Save);
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

  auto* run = menuBar()->addMenu("&Run");
  previewAction_ = run->addAction("&Preview selection", this, [this] { setup_->previewSelection(); });
  previewAction_->setShortcut(QKeySequence("Ctrl+I"));
  startAction_ = run->addAction("&Start training", this, [this] { startRun(); });
  startAction_->setShortcuts({QKeySequence("Ctrl+R"), QKeySequence(Qt::Key_F5)});
  resumeAction_ = run->addAction("Resume &interrupted run", this, [this] { resumeRun(resumableRunDir()); });
  resumeAction_->setShortcut(QKeySequence("Ctrl+Shift+R"));
  resumeAction_->setToolTip("Continue the shown run from its last checkpoint, with its own settings");
  pauseAction_ = run->addAction("&Pause", this, [this] { setPaused(!worker_->paused()); });
  pauseAction_->setShortcut(QKeySequence(Qt::Key_F6));
  pauseAction_->setCheckable(true);
  stopAction_ = run->addAction("S&top", this, [this] { stopRun(); });
  stopAction_->setShortcuts({QKeySequence("Ctrl+."), QKeySequence("Shift+F5")});

  auto* help = menuBar()->addMenu("&Help");
  help->addAction("&About GreenTrainer Studio", QKeySequence::HelpContents, this, &MainWindow::showAbout);
  help->addAction("About &Qt", qApp, &QApplication::aboutQt);

  auto* bar = addToolBar("Run");
  bar->setObjectName("runToolbar");
  bar->addAction(startAction_);
  bar->addAction(pauseAction_);
  bar->addAction(stopAction_);
  bar->addSeparator();
  bar->addAction(previewAction_);
  bar->addAction(exportPlotAction_);
  bar->addAction(openRunAction_);
  bar->addAction(overlayAction_);
  recent_->rebuild();
}

bool MainWindow::openRunRecord(const QString& path) {
  try {
    loaded_ = RunRecord::load(path.toStdString());
  } catch (const std::exception& e) {
    showError("Cannot open the run record", QString::fromStdString(e.what()));
    return false;
  }
  if (!running()) live_ = false;
  shownSelection_ = -1;
  recent_->remember("recentRuns", path);
  appendLog("info", QString("opened %1 (%2, %3 steps, %4)").arg(path, runLabel(loaded_)).arg(loaded_.steps.size()).arg(QString::fromStdString(loaded_.status)));
  if (!resumableRunDir().isEmpty()) {
    appendLog("info", QString("this run was interrupted after %1 steps; Run > Resume interrupted run (Ctrl+Shift+R) continues it from its checkpoint")
                          .arg(loaded_.steps.size()));
    statusBar()->showMessage("interrupted run: Run > Resume interrupted run continues it");
  }
  renderNow();
  updateActions();
  return true;
}

bool MainWindow::overlayRunRecord(const QString& path) {
  try {
    overlay_ = RunRecord::load(path.toStdString());
  } catch (const std::exception& e) {
    showError("Cannot open the run record", QString::fromStdString(e.what()));
    return false;
  }
  appendLog("info", QString("overlay: %1 (%2)").arg(path, runLabel(*overlay_)));
  renderNow();
  updateActions();
  return true;
}

bool MainWindow::writeFile(const QString& failure, const QString& done, const std::function<void()>& write) {
  try {
    write();
  } catch (const std::exception& e) {
    showError(failure, QString::fromStdString(e.what()));
    return false;
  }
  statusBar()->showMessage(done, 5000);
  return true;
}

bool MainWindow::exportPlot(int plot, const QString& path, int width, int height, int dpi) {
  return writeFile("Cannot export the plot", "Exported " + path, [&] {
    QCustomPlot* plots[] = {heatmap_, loss_, flops_};
    check(plot >= 0 && plot < 3, "plot: expected 0 (heatmap), 1 (loss) or 2 (FLOPs)");
    renderNow();
    gt::ui::exportPlot(*plots[plot], path, plotFormatOf(path), width, height, dpi);
  });
}

bool MainWindow::exportStepsCsv(const QString& path) {
  return writeFile("Cannot export the CSV", "Exported " + path, [&] { writeTextAtomically(path.toStdString(), shownRecord().stepsCsv()); });
}

bool MainWindow::exportSelectionsCsv(const QString& path) {
  return writeFile("Cannot export the CSV", "Exported " + path,
                   [&] { writeTextAtomically(path.toStdString(), selectionsCsv(shownRecord())); });
}

bool MainWindow::exportRecord(const QString& path) {
  return writeFile("Cannot save the run record", "Saved " + path, [&] { shownRecord().save(path.toStdString()); });
}

void MainWindow::showView(View view) { tabs_->setCurrentIndex(int(view)); }

bool MainWindow::saveSetup(const QString& path) {
  return writeFile("Cannot save the run setup", "Saved " + path,
                   [&] { writeTextAtomically(path.toStdString(), setup_->config().toJson().dump(2) + "\n"); });
}

bool MainWindow::loadSetup(const QString& path) {
  if (running()) return false;
  try {
    setup_->setConfig(RunConfig::fromJson(readJsonFile(path.toStdString()), path.toStdString()));
  } catch (const std::exception& e) {
    showError("Cannot load the run setup", QString::fromStdString(e.what()));
    return false;
  }
  appendLog("info", "loaded the run setup " + path);
  return true;
}

QImage MainWindow::screenshot(const QSize& size) {
  resize(size);
  show();
  renderNow();
  QCoreApplication::processEvents();
  for (QCustomPlot* p : std::initializer_list<QCustomPlot*>{heatmap_, loss_, flops_}) p->replot(QCustomPlot::rpImmediateRefresh);
  return grab().toImage();
}

void MainWindow::showError(const QString& title, const QString& message) {
  appendLog("error", title + ": " + message);
  // Window-modal but not blocking: the event loop (and a running training) carries on.
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setObjectName("errorDialog");
  box->open();
}

void MainWindow::showAbout() {
  QString runtime = QString::fromStdString(runtimeSummary()).toHtmlEscaped();
  runtime.replace("\n", "<br>");
  QMessageBox::about(this, "About GreenTrainer Studio",
                     QString("<h3>GreenTrainer Studio %1</h3>"
                             "<p>Fine-tunes transformer language models with adaptive backpropagation: each epoch it measures how much "
                             "training each weight tensor would reduce the loss, and a dynamic program picks the tensors to train so that a "
                             "step costs at most a fraction rho of full fine-tuning's FLOPs.</p>"
                             "<p>Method: K. Huang, H. Yin, H. Huang, W. Gao, <i>Towards Green AI in Fine-tuning Large Language Models via "
                             "Adaptive Backpropagation</i>, ICLR 2024.</p>"
                             "<p>Built with Qt %2 (LGPL-3.0), QCustomPlot (GPL-3.0), LibTorch (BSD-3-Clause), spdlog, fmt, nlohmann-json, "
                             "CLI11 (MIT), PCRE2 (BSD), utf8proc (MIT), sentencepiece (Apache-2.0).</p><p><small>%3</small></p>")
                         .arg(GT_VERSION, qVersion(), runtime));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (running()) {
    worker_->stop();
    worker_->wait();
  }
  if (persistent_) QSettings().setValue("lastConfig", QString::fromStdString(setup_->config().toJson().dump()));
  event->accept();
}

void MainWindow::render() { dirty_ = true; }

void MainWindow::renderNow() {
  dirty_ = false;
  const RunRecord& r = shownRecord();
  const RunRecord* overlay = overlay_ ? &*overlay_ : nullptr;
  heatmap_->showRecord(r);
  loss_->showRecord(r, overlay);
  flops_->showRecord(r, overlay);
  // Table and teaching view change only with a new selection (or a click on the heatmap).
  if (!live_ || r.selections.size() != drawnSelections_) {
    drawnSelections_ = live_ ? r.selections.size() : size_t(-1);
    table_->showSelection(r, shownSelection_);
    backward_->showSelection(r, shownSelection_);
  }
  updateStatus();
}

void MainWindow::updateStatus() {
  const RunRecord& r = shownRecord();
  if (running()) {
    LiveStatus live;
    live.paused = worker_->paused();
    live.epoch = r.steps.empty() ? 0 : r.steps.back().epoch;
    live.epochs = runConfig_.epochs;
    live.done = int64_t(r.steps.size());
    live.total = totalSteps_;
    live.elapsedSeconds = nowSeconds() - runStartedAt_;
    live.tokensPerSecond = lastTokensPerSecond_;
    live.peakMemoryBytes = lastPeakMemoryBytes_;
    live.energyJoules = lastEnergyJoules_;
    live.saving = flops_->savingText();
    status_->setText(liveStatusText(live));
    progress_->setRange(0, int(std::max<int64_t>(totalSteps_, 1)));
    progress_->setValue(int(live.done));
  } else if (!r.tensors.empty()) {
    status_->setText(recordStatusText(r, flops_->savingText()));
    progress_->setRange(0, 1);
    progress_->setValue(r.status == "finished" ? 1 : 0);
  } else {
    status_->setText("Ready: open a model and a dataset, then Preview selection (Ctrl+I) or Start (Ctrl+R).");
    progress_->setRange(0, 1);
    progress_->setValue(0);
  }
}

void MainWindow::updateActions() {
  const bool run = running();
  startAction_->setEnabled(!run);
  resumeAction_->setEnabled(!resumableRunDir().isEmpty());
  pauseAction_->setEnabled(run);
  stopAction_->setEnabled(run);
  if (!run) {
    pauseAction_->setChecked(false);
    pauseAction_->setText("&Pause");
  }
  previewAction_->setEnabled(!run && setup_->config().method == "gt");
  openModelAction_->setEnabled(!run);
  openDataAction_->setEnabled(!run);
  clearOverlayAction_->setEnabled(overlay_.has_value());
}

void MainWindow::appendLog(const QString& level, const QString& text) {
  log_->appendPlainText(QString("%1 [%2] %3").arg(QTime::currentTime().toString("hh:mm:ss"), level, text));
}

void MainWindow::loadDemoOrLast() {
  QSettings settings;
  // The last run was interrupted (a crash, a kill, Stop): show it, ready to resume.
  const QString lastRun = settings.value("lastRunDir").toString();
  if (!lastRun.isEmpty() && QFileInfo::exists(QDir(lastRun).filePath("run.json"))) {
    try {
      resumableRunConfig(lastRun.toStdString());  // throws unless the run can be resumed
      openRunRecord(QDir(lastRun).filePath("run.json"));
    } catch (const std::exception&) {
      // finished, without a checkpoint or unreadable: nothing to offer
    }
  }
  const QString last = settings.value("lastConfig").toString();
  if (!last.isEmpty()) {
    try {
      setup_->setConfig(RunConfig::fromJson(nlohmann::json::parse(last.toStdString()), "settings"));
      return;
    } catch (const std::exception& e) {
      appendLog("warn", QString("ignoring the saved setup: %1").arg(e.what()));
    }
  }
  const QString demo = demoFolder();
  if (!QFileInfo(demo + "/model/config.json").exists()) {
    appendLog("info", "the demo model was not found (" + demo + "); open a model folder to begin");
    return;
  }
  // The demo: the 8M-parameter Llama on Debian package descriptions (resources/demo/README.md).
  const RunConfig c = demoRunConfig();
  setup_->setConfig(c);
  appendLog("info", "loaded the demo: " + demo);
}

QString MainWindow::defaultRunDir() const {
  const RunConfig c = setup_->config();
  QString name = QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss") + "-" + QString::fromStdString(c.method);
  if (c.method == "gt") name += QString("-%1").arg(c.rho, 0, 'f', 2);
  return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath("runs/" + name);
}

}  // namespace gt::ui
