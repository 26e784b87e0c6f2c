#include "ui/tensor_table.h"

#include <QHeaderView>

#include "ui/chain_layers.h"

namespace gt::ui {
namespace {

QTableWidgetItem* numberItem(double value) {
  auto* item = new QTableWidgetItem;
  item->setData(Qt::DisplayRole, value);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

QTableWidgetItem* textItem(const QString& text) { return new QTableWidgetItem(text); }

}  // namespace

TensorTable::TensorTable(QWidget* parent) : QTableWidget(0, ColumnCount, parent) {
  setHorizontalHeaderLabels({"#", "layer", "tensor", "shape", "dw (GFLOPs)", "dy (GFLOPs)", "reach (GFLOPs)", "importance", "selected"});
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  verticalHeader()->setVisible(false);
  horizontalHeader()->setSectionResizeMode(Name, QHeaderView::Stretch);
  setSortingEnabled(true);
}

void TensorTable::showSelection(const RunRecord& record, int selection) {
  if (selection < 0 || selection >= int(record.selections.size())) selection = int(record.selections.size()) - 1;
  shown_ = selection;
  const auto masks = selectionMasks(record);
  const auto dy = chainDy(record.tensors);
  const int sortColumn = horizontalHeader()->sortIndicatorSection();
  const auto order = horizontalHeader()->sortIndicatorOrder();
  setSortingEnabled(false);  // filling a sorted table moves rows under the loop
  setRowCount(int(record.tensors.size()));
  for (int i = 0; i < int(record.tensors.size()); ++i) {
    const auto& t = record.tensors[size_t(i)];
    QStringList dims;
    for (auto d : t.shape) dims << QString::number(d);
    const int layer = layerOfTensor(t.name);
    setItem(i, Position, numberItem(i));
    setItem(i, Layer, layer >= 0 ? numberItem(layer) : textItem("-"));
    setItem(i, Name, textItem(QString::fromStdString(t.name)));
    setItem(i, Shape, textItem(dims.join(" x ")));
    setItem(i, Dw, numberItem(t.dw / 1e9));
    setItem(i, Dy, numberItem(dy[size_t(i)] / 1e9));
    setItem(i, Reach, numberItem(t.reach / 1e9));
    if (selection >= 0) {
      const auto& imp = record.selections[size_t(selection)].importanceScaled;
      setItem(i, Importance, size_t(i) < imp.size() ? numberItem(imp[size_t(i)]) : textItem("-"));
      const bool on = masks[size_t(selection)][size_t(i)];
      auto* sel = textItem(on ? "yes" : "no");
      if (on) sel->setBackground(QColor(199, 233, 192));
      setItem(i, Selected, sel);
    } else {
      setItem(i, Importance, textItem("-"));
      setItem(i, Selected, textItem("-"));
    }
  }
  setSortingEnabled(true);
  sortItems(sortColumn, order);
}

}  // namespace gt::ui
