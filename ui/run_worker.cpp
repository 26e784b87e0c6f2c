#include "ui/run_worker.h"

#include <exception>

#include "core/log/log.h"
#include "core/train/trainer.h"
#include "core/util/cpu_allocator.h"
#include "core/util/runtime_info.h"

namespace gt::ui {
namespace {

// Re-emits the trainer's events as the worker's signals (emitted on the worker thread, delivered
// queued on the UI thread; every argument is copied).
class SignalObserver : public RunObserver {
 public:
  explicit SignalObserver(RunWorker* worker) : worker_(worker) {}
  void runStarted(const RunStartInfo& e) override { Q_EMIT worker_->runStarted(e); }
  void selectionMade(const SelectionEvent& e) override { Q_EMIT worker_->selectionMade(e); }
  void stepDone(const StepEvent& e) override { Q_EMIT worker_->stepDone(e); }
  void epochDone(const EpochEvent& e) override { Q_EMIT worker_->epochDone(e); }
  void evaluationDone(const EvaluationEvent& e) override { Q_EMIT worker_->evaluationDone(e); }
  void generationEvalDone(const GenerationEvalRecord& r) override { Q_EMIT worker_->generationEvalDone(r); }

 private:
  RunWorker* worker_;
};

}  // namespace

RunWorker::RunWorker(QObject* parent) : QThread(parent) {
  qRegisterMetaType<gt::RunStartInfo>();
  qRegisterMetaType<gt::SelectionEvent>();
  qRegisterMetaType<gt::StepEvent>();
  qRegisterMetaType<gt::EpochEvent>();
  qRegisterMetaType<gt::EvaluationEvent>();
  qRegisterMetaType<gt::GenerationEvalRecord>();
  qRegisterMetaType<gt::RunRecord>();
}

RunWorker::~RunWorker() {
  stop();
  wait();
}

bool RunWorker::startRun(const RunConfig& config, RunFolderMode mode) {
  if (isRunning()) return false;
  config_ = config;
  mode_ = mode;
  control_ = std::make_unique<RunControl>();
  start(QThread::LowPriority);
  return true;
}

void RunWorker::setPaused(bool paused) {
  if (control_) control_->setPaused(paused);
}

bool RunWorker::paused() const { return control_ && control_->paused(); }

void RunWorker::stop() {
  if (control_) control_->cancel();
}

void RunWorker::setRho(double rho) {
  if (control_) control_->setRho(rho);
}

void RunWorker::run() {
  log::info("training on " + std::to_string(computeThreads()) + " compute thread(s)");
  SignalObserver observer(this);
  try {
    Trainer trainer(config_, &observer, control_.get(), mode_);
    Q_EMIT runFinished(trainer.run());
  } catch (const std::exception& e) {
    Q_EMIT runFailed(QString::fromStdString(e.what()));
  }
  // The trainer and its tensors are gone: the freed blocks kept for the next step
  // (core/util/cpu_allocator.h) go back to the system while the studio sits idle.
  releaseFreedMemory();
}

}  // namespace gt::ui
