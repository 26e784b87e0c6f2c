// The application icon (resources/greentrainer-studio.svg, compiled into the binary).
#pragma once
#include <QIcon>

namespace gt::ui {
QIcon studioIcon();
}
