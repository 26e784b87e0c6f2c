// The main window of greentrainer-studio: the setup panel on the left; on the right the live
// views (selection heatmap, loss and FLOPs curves, per-tensor table, backward-pass teaching
// view); the log below; run controls, exports and run records in the menus and toolbar. Every
// view draws one gt::RunRecord: the one the running training builds from its events, an opened
// run.json, or a selection preview.
#pragma once
#include <QMainWindow>
#include <functional>
#include <optional>

#include "core/report/run_record.h"
#include "core/util/run_folder.h"
#include "ui/demo_setup.h"
#include "ui/record_builder.h"

class QAction;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QSettings;
class QTabWidget;
class QTimer;

namespace gt::ui {

class SetupPanel;
class HeatmapPlot;
class LossPlot;
class FlopsPlot;
class TensorTable;
class BackwardPassView;
class RunWorker;
class RecentFiles;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // persistent: read/write QSettings (recent files, last setup) and preload the demo on first
  // start. Tests and --screenshot pass false.
  explicit MainWindow(bool persistent = true, QWidget* parent = nullptr);
  ~MainWindow() override;

  SetupPanel* setup() const { return setup_; }
  HeatmapPlot* heatmap() const { return heatmap_; }
  LossPlot* lossPlot() const { return loss_; }
  FlopsPlot* flopsPlot() const { return flops_; }
  TensorTable* tensorTable() const { return table_; }
  BackwardPassView* backwardView() const { return backward_; }
  RunWorker* worker() const { return worker_; }
  QPlainTextEdit* logView() const { return log_; }
  QLabel* statusText() const { return status_; }

  bool running() const;
  // What the views show now.
  const RunRecord& shownRecord() const;

  // Starts the setup panel's run. With mode New and an output folder that holds a run, asks
  // (window-modal, not blocking) whether to replace it or resume it; false then.
  bool startRun(RunFolderMode mode = RunFolderMode::New);
  // Continues the interrupted run in `runDir` from its checkpoint (its own settings, shown in
  // the setup panel). Errors go to an error dialog; false then.
  bool resumeRun(const QString& runDir);
  // The run folder of the shown record when that run was interrupted and can be resumed; else empty.
  QString resumableRunDir() const;
  void setPaused(bool paused);
  void stopRun();
  bool openRunRecord(const QString& path);
  bool overlayRunRecord(const QString& path);
  // plot: 0 heatmap, 1 loss, 2 FLOPs. Errors go to an error dialog; false then.
  bool exportPlot(int plot, const QString& path, int width, int height, int dpi);
  bool exportStepsCsv(const QString& path);
  bool exportSelectionsCsv(const QString& path);
  bool exportRecord(const QString& path);
  // The setup panel's RunConfig as JSON (what `greentrainer train --config` reads), and back.
  bool saveSetup(const QString& path);
  bool loadSetup(const QString& path);
  enum class View { Overview, Tensors, BackwardPass };
  void showView(View view);
  // The window rendered at `size` (for --screenshot and the README).
  QImage screenshot(const QSize& size);

 public Q_SLOTS:
  void showError(const QString& title, const QString& message);
  void showAbout();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildViews();
  void connectWorker();
  void render();
  void renderNow();
  void updateStatus();
  void updateActions();
  void appendLog(const QString& level, const QString& text);
  void loadDemoOrLast();
  // Runs `write`; on a gt::Error shows it under the title `failure`, else `done` in the status bar.
  bool writeFile(const QString& failure, const QString& done, const std::function<void()>& write);
  QString defaultRunDir() const;
  void startWorker(const RunConfig& c, RunFolderMode mode);
  void askAboutOccupiedFolder(const RunConfig& c);

  bool persistent_;
  SetupPanel* setup_;
  HeatmapPlot* heatmap_;
  LossPlot* loss_;
  FlopsPlot* flops_;
  TensorTable* table_;
  BackwardPassView* backward_;
  QPlainTextEdit* log_;
  QTabWidget* tabs_;
  QLabel* status_;
  QProgressBar* progress_;
  QTimer* redraw_;
  RunWorker* worker_;
  RecentFiles* recent_ = nullptr;
  QAction *startAction_, *resumeAction_, *pauseAction_, *stopAction_, *previewAction_, *exportPlotAction_, *exportCsvAction_, *exportSelectionsAction_,
      *exportRecordAction_, *openModelAction_, *openDataAction_, *openRunAction_, *overlayAction_, *clearOverlayAction_;

  RecordBuilder builder_;
  bool runActive_ = false;  // from startRun until the worker's runFinished/runFailed arrives
  bool live_ = false;    // the views follow builder_
  RunRecord loaded_;     // otherwise they show this (opened record, finished run, preview)
  std::optional<RunRecord> overlay_;
  int shownSelection_ = -1;  // table/backward view: -1 the latest
  bool dirty_ = false;
  size_t drawnSelections_ = size_t(-1);
  RunConfig runConfig_;
  double runStartedAt_ = 0;
  int64_t totalSteps_ = 0;
  double lastTokensPerSecond_ = 0;
  int64_t lastPeakMemoryBytes_ = -1;
  double lastEnergyJoules_ = -1;  // the run's energy so far (hardware counters); -1: not measured
};

}  // namespace gt::ui
