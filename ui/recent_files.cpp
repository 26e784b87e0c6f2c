#include "ui/recent_files.h"

#include <QMenu>
#include <QSettings>

namespace gt::ui {

namespace {
constexpr int kMaxRecent = 8;
}

RecentFiles::RecentFiles(QMenu* menu, bool persistent, QObject* parent) : QObject(parent), menu_(menu), persistent_(persistent) {}

void RecentFiles::addKind(const QString& key, const QString& label, Open open) { kinds_.push_back({key, label, std::move(open)}); }

void RecentFiles::remember(const QString& key, const QString& path) {
  if (!persistent_ || path.isEmpty()) return;
  QSettings settings;
  QStringList list = settings.value(key).toStringList();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kMaxRecent) list.removeLast();
  settings.setValue(key, list);
  rebuild();
}

void RecentFiles::rebuild() {
  menu_->clear();
  if (!persistent_) {
    menu_->setEnabled(false);
    return;
  }
  QSettings settings;
  for (const auto& k : kinds_) {
    for (const auto& path : settings.value(k.key).toStringList()) {
      auto open = k.open;
      menu_->addAction(QString("%1: %2").arg(k.label, path), this, [open, path] { open(path); });
    }
    menu_->addSeparator();
  }
  menu_->setEnabled(!menu_->isEmpty());
}

}  // namespace gt::ui
