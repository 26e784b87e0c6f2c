// MainWindow's run lifecycle: starting a run (asking what to do with an output folder that holds
// one), resuming an interrupted run, pausing and stopping, and following the worker's queued
// events into the record the views draw.
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>

#include "core/train/resumable_run.h"
#include "core/util/error.h"
#include "ui/main_window.h"
#include "ui/recent_files.h"
#include "ui/run_status.h"
#include "ui/run_worker.h"
#include "ui/setup_panel.h"
#include "ui/training_curves.h"

namespace gt::ui {

void MainWindow::connectWorker() {
  connect(worker_, &RunWorker::runStarted, this, [this](const gt::RunStartInfo& info) {
    builder_.start(runConfig_, info);
    live_ = true;
    shownSelection_ = -1;
    totalSteps_ = info.totalSteps;
    render();
  });
  connect(worker_, &RunWorker::selectionMade, this, [this](const gt::SelectionEvent& e) {
    builder_.addSelection(e);
    render();
  });
  connect(worker_, &RunWorker::stepDone, this, [this](const gt::StepEvent& e) {
    builder_.addStep(e);
    lastTokensPerSecond_ = e.seconds > 0 ? double(e.tokens) / e.seconds : 0;
    lastPeakMemoryBytes_ = e.peakMemoryBytes;
    lastEnergyJoules_ = e.energyJoules;
    render();
  });
  connect(worker_, &RunWorker::evaluationDone, this, [this](const gt::EvaluationEvent& e) { builder_.addEvaluation(e); });
  connect(worker_, &RunWorker::epochDone, this, [this](const gt::EpochEvent& e) {
    builder_.addEpoch(e);
    render();
  });
  connect(worker_, &RunWorker::generationEvalDone, this, [this](const gt::GenerationEvalRecord& r) { builder_.addGenerationEval(r); });
  connect(worker_, &RunWorker::runFinished, this, [this](const gt::RunRecord& record) {
    runActive_ = false;
    loaded_ = record;  // the trainer's own record: what run.json holds
    live_ = false;
    setup_->setRunning(false);
    const QString dir = QString::fromStdString(record.config.value("out_dir", std::string()));
    if (!dir.isEmpty()) recent_->remember("recentRuns", QDir(dir).filePath("run.json"));
    appendLog("info", QString("run %1 after %2 steps in %3; %4%5")
                          .arg(QString::fromStdString(record.status))
                          .arg(record.steps.size())
                          .arg(formatDuration(record.wallSeconds))
                          .arg(flops_->savingText())
                          .arg(dir.isEmpty() ? QString() : "; record " + QDir(dir).filePath("run.json")));
    if (record.status == "cancelled" && !dir.isEmpty())
      appendLog("info", "a checkpoint was written; Run > Resume interrupted run (Ctrl+Shift+R) continues the run");
    renderNow();
    updateActions();
  });
  connect(worker_, &RunWorker::runFailed, this, [this](const QString& error) {
    runActive_ = false;
    builder_.setStatus("failed", error.toStdString());
    loaded_ = builder_.record();
    live_ = false;
    setup_->setRunning(false);
    renderNow();
    updateActions();
    showError("Training failed", error);
  });
}

bool MainWindow::running() const { return runActive_; }

const RunRecord& MainWindow::shownRecord() const { return live_ ? builder_.record() : loaded_; }

bool MainWindow::startRun(RunFolderMode mode) {
  if (running()) return false;
  RunConfig c = setup_->config();
  if (c.outDir.empty()) c.outDir = defaultRunDir().toStdString();
  try {
    check(!c.model.empty(), "model: open a model folder first");
    check(!c.data.empty(), "dataset: open a dataset file first");
    check(setup_->dataset().problem.empty(), "dataset: " + setup_->dataset().problem);
    c.validate();
  } catch (const std::exception& e) {
    showError("Cannot start training", QString::fromStdString(e.what()));
    return false;
  }
  if (mode == RunFolderMode::New && QFileInfo::exists(QDir(QString::fromStdString(c.outDir)).filePath("run.json"))) {
    askAboutOccupiedFolder(c);
    return false;
  }
  startWorker(c, mode);
  return true;
}

QString MainWindow::resumableRunDir() const {
  if (running() || live_) return {};
  if (!loaded_.config.is_object()) return {};
  const QString dir = QString::fromStdString(loaded_.config.value("out_dir", std::string()));
  if (dir.isEmpty() || (loaded_.status != "running" && loaded_.status != "cancelled" && loaded_.status != "failed")) return {};
  return QFileInfo::exists(QDir(dir).filePath("checkpoint/trainer_state.json")) ? dir : QString();
}

bool MainWindow::resumeRun(const QString& runDir) {
  if (running()) return false;
  RunConfig c;
  try {
    check(!runDir.isEmpty(), "no interrupted run is shown; open its run.json first (File > Open run record)");
    c = resumableRunConfig(runDir.toStdString());
  } catch (const std::exception& e) {
    showError("Cannot resume the run", QString::fromStdString(e.what()));
    return false;
  }
  setup_->setConfig(c);  // the panel shows the settings the run continues with
  startWorker(c, RunFolderMode::Resume);
  return true;
}

// The output folder holds a run: replace it, resume it (when it was interrupted), or go back.
void MainWindow::askAboutOccupiedFolder(const RunConfig& c) {
  const QString dir = QString::fromStdString(c.outDir);
  QString status = "an unreadable record";
  bool resumable = false;
  try {
    const RunRecord r = RunRecord::load(QDir(dir).filePath("run.json").toStdString());
    status = QString("a %1 run (%2 steps)").arg(QString::fromStdString(r.status)).arg(r.steps.size());
    resumable = r.status != "finished" && QFileInfo::exists(QDir(dir).filePath("checkpoint/trainer_state.json"));
  } catch (const std::exception&) {
  }
  auto* box = new QMessageBox(QMessageBox::Question, "Output folder holds a run",
                              QString("%1 holds %2.\nReplace it with the new run%3, or choose another output folder?")
                                  .arg(dir, status, resumable ? ", resume it from its checkpoint" : ""),
                              QMessageBox::Cancel, this);
  box->setObjectName("occupiedFolderDialog");
  box->setAttribute(Qt::WA_DeleteOnClose);
  QPushButton* replace = box->addButton("Replace", QMessageBox::DestructiveRole);
  replace->setObjectName("replaceRun");
  QPushButton* resume = resumable ? box->addButton("Resume", QMessageBox::AcceptRole) : nullptr;
  if (resume) resume->setObjectName("resumeRun");
  connect(box, &QMessageBox::finished, this, [this, box, replace, resume, dir] {
    if (box->clickedButton() == replace) startRun(RunFolderMode::Overwrite);
    else if (resume && box->clickedButton() == resume) resumeRun(dir);
  });
  box->open();
}

void MainWindow::startWorker(const RunConfig& c, RunFolderMode mode) {
  runConfig_ = c;
  if (persistent_) QSettings().setValue("lastRunDir", QString::fromStdString(c.outDir));
  worker_->wait();  // the previous run's thread returns right after its last signal
  runActive_ = true;
  if (persistent_) QSettings().setValue("lastConfig", QString::fromStdString(setup_->config().toJson().dump()));
  builder_ = RecordBuilder{};
  live_ = true;
  runStartedAt_ = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
  lastTokensPerSecond_ = 0;
  lastPeakMemoryBytes_ = -1;
  lastEnergyJoules_ = -1;
  totalSteps_ = 0;
  setup_->setRunning(true);
  // Resume and File > Open settings start a model inspection (setConfig) just before the run: the run
  // seeds and then draws from the process-wide generator for its dropout, so it waits for that work
  // to finish, or a resumed run would not continue exactly as an uninterrupted one.
  setup_->waitForBackgroundWork();
  appendLog("info", QString("%1 %2 -> %3")
                        .arg(mode == RunFolderMode::Resume ? "resuming" : "starting", QString::fromStdString(c.method), QString::fromStdString(c.outDir)));
  worker_->startRun(c, mode);
  updateActions();
  render();
}

void MainWindow::setPaused(bool paused) {
  if (!running()) return;
  worker_->setPaused(paused);
  pauseAction_->setChecked(paused);
  pauseAction_->setText(paused ? "&Resume" : "&Pause");
  appendLog("info", paused ? "paused (the current step finishes first)" : "resumed");
  updateStatus();
}

void MainWindow::stopRun() {
  if (!running()) return;
  worker_->stop();
  appendLog("info", "stopping after the current step...");
}

}  // namespace gt::ui
