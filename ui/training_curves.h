// The two training curves. LossPlot: loss per step (raw and smoothed), validation loss per epoch,
// epoch and rho-change markers, and a second run (e.g. Full FT) overlaid for reference.
// FlopsPlot: cumulative training FLOPs of the run against Full FT's on the same batches
// (predicted by the profiler), with the saving so far; an overlaid run is drawn beside them.
#pragma once
#include "ui/qcustomplot_header.h"

#include "core/report/run_record.h"

namespace gt::ui {

// "GT rho 0.50", "Full FT", "LoRA", ... from the record's config.
QString runLabel(const RunRecord& record);
// Exponential moving average (weight of the newest point alpha), as the loss curve draws it.
QVector<double> smoothed(const QVector<double>& values, double alpha = 0.1);

class LossPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit LossPlot(QWidget* parent = nullptr);
  void showRecord(const RunRecord& run, const RunRecord* overlay = nullptr);

 private:
  QCPTextElement* title_;
};

class FlopsPlot : public QCustomPlot {
  Q_OBJECT
 public:
  explicit FlopsPlot(QWidget* parent = nullptr);
  void showRecord(const RunRecord& run, const RunRecord* overlay = nullptr);
  // "saved 50.1% of Full FT's FLOPs (0.012 of 0.024 PFLOPs)", empty before the first step.
  const QString& savingText() const { return saving_; }

 private:
  QCPTextElement* title_;
  QString saving_;
};

}  // namespace gt::ui
