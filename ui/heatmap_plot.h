// The tensor-selection heatmap: one row per tensor in chain order (output at the top, grouped
// and labelled by layer), one column per selection. A selected cell is green, an unselected one
// grey; the shade is the tensor's scaled importance. Hovering shows the tensor's costs.
#pragma once
#include "ui/qcustomplot_header.h"

#include "core/report/run_record.h"

namespace gt::ui {

class HeatmapPlot : public QCustomPlot {
  Q_OBJECT

 public:
  explicit HeatmapPlot(QWidget* parent = nullptr);
  void showRecord(const RunRecord& record);

  int columns() const { return columns_; }
  int rows() const { return rows_; }
  // The cell's value: 0.5 + importance/2 when selected, importance * 0.45 otherwise; NaN outside.
  // A record with more than 2048 selections or tensors is drawn sampled: the value drawn there.
  double cellValue(int column, int row) const;
  static bool isSelectedValue(double value) { return value >= 0.5; }
  // Tooltip text for a cell (what hovering shows).
  QString cellDescription(int column, int row) const;

 Q_SIGNALS:
  void selectionClicked(int column);

 protected:
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  bool cellAt(const QPointF& pos, int* column, int* row) const;

  QCPColorMap* map_;
  std::vector<ChainEntry> tensors_;          // what hovering describes (the record's steps are not kept)
  std::vector<SelectionRecord> selections_;
  int columns_ = 0, rows_ = 0;
  int strideColumns_ = 1, strideRows_ = 1;  // drawn cells sample every k-th selection / tensor of a huge record
};

}  // namespace gt::ui
