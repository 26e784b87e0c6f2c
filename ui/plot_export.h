// Exporting what the window shows: a plot to PNG, PDF or SVG at a chosen size and resolution,
// the plotted series to CSV, the run record to JSON. Every file is written under a temporary
// name and renamed, so a failed export leaves nothing behind.
#pragma once
#include <QDialog>
#include <QString>

#include "core/report/run_record.h"

class QCustomPlot;
class QComboBox;
class QSpinBox;
class QLineEdit;

namespace gt::ui {

enum class PlotFormat { Png, Pdf, Svg };

// From the file name's extension (.png, .pdf, .svg); throws gt::Error naming the file otherwise.
PlotFormat plotFormatOf(const QString& path);
// width/height in pixels; dpi is stored in PNG/SVG and sets the PDF page size. Throws gt::Error
// naming the file when it cannot be written.
void exportPlot(QCustomPlot& plot, const QString& path, PlotFormat format, int width, int height, int dpi);
// One row per tensor (chain order): name, then selected (0/1) and importance per selection.
std::string selectionsCsv(const RunRecord& record);

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  ExportDialog(const QStringList& plots, int currentPlot, const QString& folder, QWidget* parent = nullptr);
  int plot() const;
  QString path() const;
  int widthPx() const;
  int heightPx() const;
  int dpi() const;

 private:
  void updateExtension();

  QComboBox *plot_, *format_;
  QSpinBox *width_, *height_, *dpi_;
  QLineEdit* path_;
};

}  // namespace gt::ui
