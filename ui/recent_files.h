// The File > Recent menu: models, datasets and run records opened lately, newest first, kept in
// QSettings (at most 8 of each kind) when the window is persistent.
#pragma once
#include <QObject>
#include <QString>
#include <functional>
#include <vector>

class QMenu;

namespace gt::ui {

class RecentFiles : public QObject {
  Q_OBJECT

 public:
  using Open = std::function<void(const QString& path)>;
  // menu: where the entries go. persistent: false leaves QSettings alone and the menu disabled.
  RecentFiles(QMenu* menu, bool persistent, QObject* parent = nullptr);

  // A kind of entry: its QSettings key ("recentModels"), its label in the menu ("Model") and how to open it.
  void addKind(const QString& key, const QString& label, Open open);
  // Puts `path` first in the list under `key` and rebuilds the menu.
  void remember(const QString& key, const QString& path);
  void rebuild();

 private:
  struct Kind {
    QString key, label;
    Open open;
  };
  QMenu* menu_;
  bool persistent_;
  std::vector<Kind> kinds_;
};

}  // namespace gt::ui
