// The training methods the studio offers and the options of the chosen one. fillMethodList puts
// every method in a combo box with a one-line explanation; MethodOptions shows one page per method
// with the settings `greentrainer train` takes as flags: GreenTrainer's re-selection interval and
// importance batches, top-blocks' block count, LISA's layers and interval, BAdam's interval and
// order, LoRA's rank, alpha, dropout and target modules, prefix tuning's virtual tokens. Full FT and
// FT-Top2 have no options; their page says what they train.
#pragma once
#include <QStackedWidget>

#include "core/train/run_config.h"

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace gt::ui {

// Each method's display name, RunConfig::method as item data and an explanation as tooltip.
void fillMethodList(QComboBox* box);
// Methods that need a decoder-only model: their layer masks and prefixes name decoder-only layers.
bool methodNeedsDecoderOnly(const QString& method);

class MethodOptions : public QStackedWidget {
  Q_OBJECT

 public:
  explicit MethodOptions(QWidget* parent = nullptr);

  void showMethod(const QString& method);  // the page of RunConfig::method `method`
  void setConfig(const RunConfig& config);  // every page's fields from `config`
  void applyTo(RunConfig& config) const;    // every page's fields into `config`
  // As tall as the page shown, not as the tallest page.
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 Q_SIGNALS:
  void changed();  // the user edited an option

 private:
  QWidget* page(const QString& method);

  QSpinBox *reselectEpochs_, *reselectSteps_, *importanceBatches_;
  QSpinBox* topBlocks_;
  QSpinBox *lisaLayers_, *lisaInterval_;
  QSpinBox* badamInterval_;
  QComboBox* badamOrder_;
  QSpinBox* loraRank_;
  QDoubleSpinBox *loraAlpha_, *loraDropout_;
  QLineEdit* loraTargets_;
  QSpinBox* prefixTokens_;
};

}  // namespace gt::ui
