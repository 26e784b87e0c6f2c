#include "ui/studio_icon.h"

// Q_INIT_RESOURCE declares its function where it is used: outside any namespace (resources in a
// static library are not registered automatically).
static void initStudioResources() { Q_INIT_RESOURCE(studio); }

namespace gt::ui {

QIcon studioIcon() {
  initStudioResources();
  return QIcon(":/greentrainer/greentrainer-studio.svg");
}

}  // namespace gt::ui
