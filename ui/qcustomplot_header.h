// <qcustomplot.h> (2.1) is written with Qt's keyword macros (signals, slots, foreach), which
// QT_NO_KEYWORDS turns off because they break LibTorch headers. Include it through this file.
#pragma once
#include <QtCore/qglobal.h>
#include <QtCore/qobjectdefs.h>

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef foreach
