// The training thread (after Qt's mandelbrot RenderThread): it takes a copy of the RunConfig,
// runs gt::Trainer, and reports only through signals carrying plain values, which Qt queues to
// the UI thread. Pause/resume/stop/rho go through gt::RunControl, which is thread-safe.
#pragma once
#include <QString>
#include <QThread>
#include <memory>

#include "core/report/run_record.h"
#include "core/train/run_config.h"
#include "core/train/run_control.h"
#include "core/train/run_observer.h"
#include "core/util/run_folder.h"

Q_DECLARE_METATYPE(gt::RunStartInfo)
Q_DECLARE_METATYPE(gt::SelectionEvent)
Q_DECLARE_METATYPE(gt::StepEvent)
Q_DECLARE_METATYPE(gt::EpochEvent)
Q_DECLARE_METATYPE(gt::EvaluationEvent)
Q_DECLARE_METATYPE(gt::GenerationEvalRecord)
Q_DECLARE_METATYPE(gt::RunRecord)

namespace gt::ui {

class RunWorker : public QThread {
  Q_OBJECT

 public:
  explicit RunWorker(QObject* parent = nullptr);
  ~RunWorker() override;  // stops a running training and waits for it

  // Starts training a copy of `config`; false when a run is still going. `mode`: what the
  // output folder may hold (Resume continues the run in it; its config from resumableRunConfig).
  bool startRun(const RunConfig& config, RunFolderMode mode = RunFolderMode::New);
  void setPaused(bool paused);
  bool paused() const;
  void stop();
  void setRho(double rho);  // takes effect at the next selection

 Q_SIGNALS:
  void runStarted(gt::RunStartInfo info);
  void selectionMade(gt::SelectionEvent event);
  void stepDone(gt::StepEvent event);
  void epochDone(gt::EpochEvent event);
  void evaluationDone(gt::EvaluationEvent event);
  void generationEvalDone(gt::GenerationEvalRecord record);
  // The trainer's own record (also written to out_dir when set): status finished or cancelled.
  void runFinished(gt::RunRecord record);
  void runFailed(QString error);

 protected:
  void run() override;

 private:
  RunConfig config_;
  RunFolderMode mode_ = RunFolderMode::New;
  std::unique_ptr<RunControl> control_;
};

}  // namespace gt::ui
