// The left-hand panel: what to train (model folder, tokenizer, dataset with field mapping,
// split and prompt template, its first rows tokenised) and how (method, rho with the predicted
// FLOPs fraction and tensor count, the method's own options, epochs, batch size, learning rate, seed, device). Opening a
// model inspects it on a background thread; a bad folder or file reports an error and leaves the
// previous choice in place.
#pragma once
#include <QFutureWatcher>
#include <QWidget>
#include <memory>
#include <optional>

#include "core/report/run_record.h"
#include "core/train/run_config.h"
#include "core/train/run_preview.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace gt::ui {

class MethodOptions;

// What a background job hands back: its value, or the error message it threw.
template <typename T>
struct Outcome {
  T value;
  QString error;
};

class SetupPanel : public QWidget {
  Q_OBJECT

 public:
  explicit SetupPanel(QWidget* parent = nullptr);

  RunConfig config() const;
  // Shows `config`; opens its model (async) and dataset.
  void setConfig(const RunConfig& config);

  void openModel(const QString& folder);      // async: modelReady or errorOccurred
  void setTokenizer(const QString& path);     // "" = the model folder's; re-checks the model
  bool openDataset(const QString& file);      // false (and errorOccurred) when unreadable
  void previewSelection();                    // async: selectionPreviewed or errorOccurred
  bool busy() const;                          // a model inspection or preview is running
  // Blocks until the model inspection and the selection preview are done. Both draw from LibTorch's
  // process-wide random generator (building a model initialises its weights; a preview seeds it),
  // so a run must not start while either is in flight: its dropout masks would depend on timing.
  void waitForBackgroundWork();
  void setRunning(bool running);              // locks what cannot change during a run

  const std::optional<ModelSummary>& model() const { return model_; }
  const DatasetPreview& dataset() const { return dataset_; }
  // A one-selection record of the previewed mask at the current rho (empty before a preview).
  RunRecord previewRecord() const;
  // "49.9% of Full FT FLOPs per step, 13/74 tensors ..." for the current rho.
  QString rhoSummary() const;

 Q_SIGNALS:
  void modelReady();
  void datasetReady();
  void selectionPreviewed();
  void rhoChanged(double rho);
  void errorOccurred(QString title, QString message);
  void configChanged();

 private:
  void buildUi();
  // exactFields: take fields and splits from the last setConfig (an empty split means none)
  // instead of guessing them from the file's names.
  bool loadDataset(const QString& file, bool exactFields);
  // A field, split, template or training input changed: drop the preview (and re-read the
  // dataset's first rows when they may differ), update the rho summary, tell the window.
  void inputsChanged(bool datasetRows);
  void refreshDataset();
  void updateRho();
  void updateMethod();
  // Encoder-decoders: the methods that need a decoder-only model are greyed out (and left if chosen).
  void enableMethodsFor(bool encoderDecoder);

  // Model
  QLineEdit *modelPath_, *tokenizerPath_;
  QLabel* modelInfo_;
  // Dataset
  QLineEdit *dataPath_, *template_;
  QComboBox *sourceField_, *targetField_, *trainSplit_, *evalSplit_, *rougeSplit_;
  QSpinBox* rougeExamples_;
  QCheckBox *rougeBefore_, *rougeEveryEpoch_;
  QLabel *dataInfo_, *dataProblem_;
  QTableWidget* dataRows_;
  // Training
  QComboBox *method_, *device_, *precision_;
  QCheckBox* gradientCheckpointing_ = nullptr;
  MethodOptions* methodOptions_ = nullptr;
  QSlider* rhoSlider_;
  QDoubleSpinBox *rho_, *lr_;
  QLabel* rhoInfo_;
  QSpinBox *epochs_, *batch_, *seed_, *maxExamples_, *maxLength_;
  QLineEdit* outDir_;
  QPushButton *previewButton_, *openModelButton_, *tokenizerButton_, *openDataButton_;

  RunConfig base_;  // fields the panel does not show are kept from the last setConfig
  std::optional<ModelSummary> model_;
  DatasetPreview dataset_;
  std::optional<SelectionPreview> preview_;
  QFutureWatcher<Outcome<ModelSummary>>* modelWatcher_;
  QFutureWatcher<Outcome<SelectionPreview>>* previewWatcher_;
  QString pendingModel_, pendingTokenizer_, modelInfoText_;
  bool running_ = false, filling_ = false;
};

}  // namespace gt::ui
