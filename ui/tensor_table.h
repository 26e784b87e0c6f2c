// The per-tensor table for teaching: every tensor of the chain with its shape, costs (dw, dy,
// reach in GFLOPs at the record's reference shape), importance and whether the shown selection
// trains it. Sortable by any column (numbers sort as numbers).
#pragma once
#include <QTableWidget>

#include "core/report/run_record.h"

namespace gt::ui {

class TensorTable : public QTableWidget {
  Q_OBJECT
 public:
  enum Column { Position, Layer, Name, Shape, Dw, Dy, Reach, Importance, Selected, ColumnCount };
  explicit TensorTable(QWidget* parent = nullptr);
  // selection: index into record.selections, -1 for the latest (none: costs only).
  void showSelection(const RunRecord& record, int selection = -1);
  int shownSelection() const { return shown_; }

 private:
  int shown_ = -1;
};

}  // namespace gt::ui
