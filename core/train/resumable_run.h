// Which run folders can be resumed, for the CLI's `train --resume` and the studio. Kept apart
// from train_checkpoint.h so code without Torch (the UI) can ask.
#pragma once
#include <filesystem>

#include "core/train/run_config.h"

namespace gt {

// The settings of the interrupted run in RUN (from its checkpoint), with out_dir set to RUN.
// Throws gt::Error saying why the run cannot be resumed (no run, finished, no checkpoint).
RunConfig resumableRunConfig(const std::filesystem::path& runDir);

}  // namespace gt
