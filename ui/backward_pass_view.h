// Teaching view of the backward pass through one layer for one selection: for every tensor of
// the layer (chain order, the way the gradient flows), whether backprop runs its op's input
// gradient (dy) and whether it computes the weight gradient (dw). Backprop must run every dy
// from the loss down to the deepest selected tensor, selected or not, which is why that
// tensor sets the step's cost (GREENTRAINER.md §2, paper Eq. 4).
#pragma once
#include <QWidget>
#include <vector>

#include "core/report/run_record.h"

class QComboBox;
class QLabel;

namespace gt::ui {

struct BackwardOp {
  int position = 0;  // in the chain
  QString name;      // short name within the layer
  bool dy = false;   // backprop passes below this tensor's op
  bool dw = false;   // its weight gradient is computed (selected)
  double dyFlops = 0, dwFlops = 0;
};

struct BackwardSummary {
  int deepest = -1;  // chain position of the deepest selected tensor, -1: none
  double reach = 0, dw = 0, stepFlops = 0, fraction = 0;  // FLOPs at the record's reference shape (chain model)
};

std::vector<BackwardOp> backwardOps(const RunRecord& record, const std::vector<bool>& mask, int first, int last);
BackwardSummary backwardSummary(const RunRecord& record, const std::vector<bool>& mask);

class BackwardPassView : public QWidget {
  Q_OBJECT
 public:
  explicit BackwardPassView(QWidget* parent = nullptr);
  void showSelection(const RunRecord& record, int selection = -1);  // -1: the latest
  const std::vector<BackwardOp>& ops() const { return ops_; }
  QString summaryText() const;

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  void rebuild();

  QComboBox* layer_;
  QLabel* summary_;
  RunRecord record_;
  std::vector<bool> mask_;
  std::vector<BackwardOp> ops_;
};

}  // namespace gt::ui
