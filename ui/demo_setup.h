// The demo shipped in resources/demo and the run the studio offers with it.
#pragma once
#include <QString>

#include "core/train/run_config.h"

namespace gt::ui {

// The demo folder: GT_DEMO_DIR, else beside the installed binary (../share/greentrainer/demo), else
// the source tree.
QString demoFolder();
// The setup the app starts with: GT rho 0.5 on 1,000 pairs, 2 epochs, ROUGE on 100 test pairs
// before and after, as packaging/run.sh.
RunConfig demoRunConfig();

}  // namespace gt::ui
