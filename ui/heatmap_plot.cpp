#include "ui/heatmap_plot.h"

#include <QToolTip>
#include <algorithm>
#include <climits>
#include <unordered_map>
#include <cmath>

#include "ui/chain_layers.h"

namespace gt::ui {

HeatmapPlot::HeatmapPlot(QWidget* parent) : QCustomPlot(parent) {
  setMouseTracking(true);
  map_ = new QCPColorMap(xAxis, yAxis);
  map_->setInterpolate(false);
  map_->setTightBoundary(true);
  QCPColorGradient gradient;
  gradient.clearColorStops();
  gradient.setColorStopAt(0.0, QColor(245, 245, 245));
  gradient.setColorStopAt(0.4999, QColor(150, 150, 150));
  gradient.setColorStopAt(0.5, QColor(199, 233, 192));
  gradient.setColorStopAt(1.0, QColor(0, 109, 44));
  gradient.setLevelCount(200);
  map_->setGradient(gradient);
  map_->setDataRange(QCPRange(0, 1));
  yAxis->setRangeReversed(true);
  xAxis->setLabel("selection, at optimizer step");
  yAxis->setLabel("tensor (chain order, output at the top)");
  plotLayout()->insertRow(0);
  plotLayout()->addElement(0, 0, new QCPTextElement(this, "Tensor selection\ngreen: trained, shade: importance", QFont("sans", 10, QFont::Bold)));
  showRecord({});
}

// At most this many drawn cells per axis (about a screen's pixels): a larger record is drawn by
// taking every k-th selection / tensor, so memory and time stay bounded whatever the file holds.
constexpr size_t kMaxDrawnPerAxis = 2048;

void HeatmapPlot::showRecord(const RunRecord& record) {
  tensors_ = record.tensors;
  selections_ = record.selections;
  const size_t rows = std::min<size_t>(record.tensors.size(), size_t(INT_MAX / 2));
  const size_t columns = std::min<size_t>(record.selections.size(), size_t(INT_MAX / 2));
  rows_ = int(rows);
  columns_ = int(columns);
  strideColumns_ = int((columns + kMaxDrawnPerAxis - 1) / kMaxDrawnPerAxis);
  strideRows_ = int((rows + kMaxDrawnPerAxis - 1) / kMaxDrawnPerAxis);
  strideColumns_ = std::max(strideColumns_, 1);
  strideRows_ = std::max(strideRows_, 1);
  const int drawnColumns = (columns_ + strideColumns_ - 1) / strideColumns_, drawnRows = (rows_ + strideRows_ - 1) / strideRows_;
  // QCPColorMap draws nothing for a single cell along an axis: a lone column (one selection) or
  // row is drawn as two equal halves spanning the cell.
  const int cellsX = drawnColumns == 1 ? 2 : std::max(drawnColumns, 1), cellsY = drawnRows == 1 ? 2 : std::max(drawnRows, 1);
  map_->data()->clear();
  map_->data()->setSize(cellsX, cellsY);
  map_->data()->setRange(drawnColumns == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, double(std::max(drawnColumns - 1, 0)) * strideColumns_),
                         drawnRows == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, double(std::max(drawnRows - 1, 0)) * strideRows_));
  map_->data()->fill(std::nan(""));
  std::unordered_map<std::string, int> index;
  for (int r = 0; r < rows_; ++r) index[record.tensors[size_t(r)].name] = r;
  std::vector<bool> mask(rows, false);
  for (int dc = 0; dc < drawnColumns; ++dc) {
    const auto& s = record.selections[size_t(dc) * size_t(strideColumns_)];
    std::fill(mask.begin(), mask.end(), false);
    for (const auto& name : s.selected)
      if (auto it = index.find(name); it != index.end()) mask[size_t(it->second)] = true;
    for (int dr = 0; dr < drawnRows; ++dr) {
      const size_t r = size_t(dr) * size_t(strideRows_);
      const double i = r < s.importanceScaled.size() ? std::clamp(s.importanceScaled[r], 0.0, 1.0) : 0.0;
      const double v = mask[r] ? 0.5 + 0.5 * i : 0.45 * i;
      for (int x = dc; x < (drawnColumns == 1 ? 2 : dc + 1); ++x)
        for (int y = dr; y < (drawnRows == 1 ? 2 : dr + 1); ++y) map_->data()->setCell(x, y, v);
    }
  }
  auto yTicks = QSharedPointer<QCPAxisTickerText>::create();
  for (const auto& g : chainGroups(record.tensors)) yTicks->addTick((g.first + g.last) / 2.0, g.label);
  yAxis->setTicker(yTicks);
  // One label per selection while they fit (about 45 px each), then every k-th.
  auto xTicks = QSharedPointer<QCPAxisTickerText>::create();
  const int every = int(std::max<int64_t>(1, int64_t(columns_) * 45 / std::max(axisRect()->width(), 200)));
  for (int c = 0; c < columns_; c += every) xTicks->addTick(c, QString::number(record.selections[size_t(c)].step));
  xAxis->setTicker(xTicks);
  xAxis->setRange(-0.5, std::max(columns_, 1) - 0.5);
  yAxis->setRange(-0.5, std::max(rows_, 1) - 0.5);
  replot(QCustomPlot::rpQueuedReplot);
}

double HeatmapPlot::cellValue(int column, int row) const {
  if (column < 0 || row < 0 || column >= columns_ || row >= rows_) return std::nan("");
  return map_->data()->cell(column / strideColumns_, row / strideRows_);
}

QString HeatmapPlot::cellDescription(int column, int row) const {
  if (column < 0 || row < 0 || column >= columns_ || row >= rows_) return {};
  const auto& t = tensors_[size_t(row)];
  const auto& s = selections_[size_t(column)];
  const double dy = chainDy(tensors_)[size_t(row)];
  const double imp = size_t(row) < s.importanceScaled.size() ? s.importanceScaled[size_t(row)] : 0.0;
  return QString("%1\nselection %2 (epoch %3, step %4, rho %5)\ndw %6 GFLOPs, dy %7 GFLOPs, reach %8 GFLOPs\nimportance %9\n%10")
      .arg(QString::fromStdString(t.name))
      .arg(column + 1)
      .arg(s.epoch + 1)
      .arg(s.step)
      .arg(s.rho, 0, 'f', 2)
      .arg(t.dw / 1e9, 0, 'f', 3)
      .arg(dy / 1e9, 0, 'f', 3)
      .arg(t.reach / 1e9, 0, 'f', 3)
      .arg(imp, 0, 'f', 4)
      .arg(isSelectedValue(cellValue(column, row)) ? "selected: trained" : "not selected: frozen");
}

bool HeatmapPlot::cellAt(const QPointF& pos, int* column, int* row) const {
  const double x = xAxis->pixelToCoord(pos.x()), y = yAxis->pixelToCoord(pos.y());
  *column = int(std::lround(x));
  *row = int(std::lround(y));
  return *column >= 0 && *row >= 0 && *column < columns_ && *row < rows_ && axisRect()->rect().contains(pos.toPoint());
}

void HeatmapPlot::mouseMoveEvent(QMouseEvent* event) {
  int c = 0, r = 0;
  if (cellAt(event->position(), &c, &r))
    QToolTip::showText(event->globalPosition().toPoint(), cellDescription(c, r), this);
  else
    QToolTip::hideText();
  QCustomPlot::mouseMoveEvent(event);
}

void HeatmapPlot::mousePressEvent(QMouseEvent* event) {
  int c = 0, r = 0;
  if (cellAt(event->position(), &c, &r)) Q_EMIT selectionClicked(c);
  QCustomPlot::mousePressEvent(event);
}

}  // namespace gt::ui
