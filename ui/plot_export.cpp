#include "ui/plot_export.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSvgGenerator>
#include "ui/qcustomplot_header.h"

#include <sstream>

#include "core/util/error.h"
#include "ui/chain_layers.h"

namespace gt::ui {

PlotFormat plotFormatOf(const QString& path) {
  const QString ext = QFileInfo(path).suffix().toLower();
  if (ext == "png") return PlotFormat::Png;
  if (ext == "pdf") return PlotFormat::Pdf;
  if (ext == "svg") return PlotFormat::Svg;
  throw Error(path.toStdString() + ": unknown image format (expected a .png, .pdf or .svg file name)");
}

void exportPlot(QCustomPlot& plot, const QString& path, PlotFormat format, int width, int height, int dpi) {
  check(width >= 16 && height >= 16 && width <= 20000 && height <= 20000,
        path.toStdString() + ": image size must be 16..20000 pixels, got " + std::to_string(width) + " x " + std::to_string(height));
  check(dpi >= 36 && dpi <= 2400, path.toStdString() + ": resolution must be 36..2400 DPI, got " + std::to_string(dpi));
  const QString temp = path + ".part";
  QFile::remove(temp);
  bool ok = false;
  if (format == PlotFormat::Png) {
    ok = plot.savePng(temp, width, height, 1.0, -1, dpi, QCP::ruDotsPerInch);
  } else if (format == PlotFormat::Pdf) {
    ok = plot.savePdf(temp, width, height, QCP::epNoCosmetic, "GreenTrainer Studio", QFileInfo(path).completeBaseName());
  } else {
    QSvgGenerator svg;
    svg.setFileName(temp);
    svg.setSize(QSize(width, height));
    svg.setViewBox(QRect(0, 0, width, height));
    svg.setResolution(dpi);
    svg.setTitle(QFileInfo(path).completeBaseName());
    svg.setDescription("GreenTrainer Studio plot");
    QCPPainter painter;
    ok = painter.begin(&svg);
    if (ok) {
      plot.toPainter(&painter, width, height);
      ok = painter.end();
    }
  }
  ok = ok && QFileInfo(temp).size() > 0;
  if (ok) {
    QFile::remove(path);
    ok = QFile::rename(temp, path);
  }
  if (!ok) {
    QFile::remove(temp);
    throw Error(path.toStdString() + ": cannot write the plot (check the folder exists and is writable)");
  }
}

std::string selectionsCsv(const RunRecord& record) {
  std::ostringstream out;
  out << "tensor";
  for (size_t s = 0; s < record.selections.size(); ++s) out << ",selected_" << s + 1 << ",importance_" << s + 1;
  out << "\n";
  const auto masks = selectionMasks(record);
  for (size_t i = 0; i < record.tensors.size(); ++i) {
    out << record.tensors[i].name;
    for (size_t s = 0; s < masks.size(); ++s) {
      const auto& imp = record.selections[s].importanceScaled;
      out << "," << (masks[s][i] ? 1 : 0) << "," << (i < imp.size() ? imp[i] : 0.0);
    }
    out << "\n";
  }
  return out.str();
}

ExportDialog::ExportDialog(const QStringList& plots, int currentPlot, const QString& folder, QWidget* parent) : QDialog(parent) {
  setWindowTitle("Export plot");
  auto* form = new QFormLayout(this);
  plot_ = new QComboBox;
  plot_->addItems(plots);
  plot_->setCurrentIndex(std::max(0, currentPlot));
  form->addRow("Plot:", plot_);
  format_ = new QComboBox;
  format_->addItems({"PNG", "PDF", "SVG"});
  form->addRow("Format:", format_);
  width_ = new QSpinBox;
  width_->setRange(16, 20000);
  width_->setValue(1600);
  height_ = new QSpinBox;
  height_->setRange(16, 20000);
  height_->setValue(900);
  auto* size = new QHBoxLayout;
  size->addWidget(width_);
  size->addWidget(new QLabel("x"));
  size->addWidget(height_);
  size->addWidget(new QLabel("pixels"));
  form->addRow("Size:", size);
  dpi_ = new QSpinBox;
  dpi_->setRange(36, 2400);
  dpi_->setValue(150);
  dpi_->setSuffix(" DPI");
  form->addRow("Resolution:", dpi_);
  path_ = new QLineEdit(QDir(folder).filePath("plot.png"));
  auto* browse = new QPushButton("Browse...");
  auto* file = new QHBoxLayout;
  file->addWidget(path_, 1);
  file->addWidget(browse);
  form->addRow("File:", file);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(format_, &QComboBox::currentIndexChanged, this, [this] { updateExtension(); });
  connect(plot_, &QComboBox::currentIndexChanged, this, [this] { updateExtension(); });
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getSaveFileName(this, "Export plot", path_->text(), "Images (*.png *.pdf *.svg)");
    if (f.isEmpty()) return;
    path_->setText(f);
    const QString ext = QFileInfo(f).suffix().toLower();
    const int i = ext == "pdf" ? 1 : ext == "svg" ? 2 : ext == "png" ? 0 : -1;
    if (i >= 0) format_->setCurrentIndex(i);
  });
  updateExtension();
}

void ExportDialog::updateExtension() {
  QFileInfo info(path_->text());
  const QString base = plot_->currentText().toLower().replace(' ', '-');
  path_->setText(info.dir().filePath(base + "." + format_->currentText().toLower()));
}

int ExportDialog::plot() const { return plot_->currentIndex(); }
QString ExportDialog::path() const { return path_->text(); }
int ExportDialog::widthPx() const { return width_->value(); }
int ExportDialog::heightPx() const { return height_->value(); }
int ExportDialog::dpi() const { return dpi_->value(); }

}  // namespace gt::ui
