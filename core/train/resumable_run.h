// Which run folders can be resumed, for the CLI's `train --resume` and the studio. Kept apart
// from train_checkpoint.h so code without Torch (the UI) can ask.
#pragma once
#include <filesystem>

#include "core/train/run_config.h"

namespace gt {

// The settings of the interrupted run in RUN (from its checkpoint), with out_dir set to RUN.
// Throws gt::Error saying why the run cannot be resumed (no run, finished, no checkpoint).
RunConfig resumableRunConfig(const std::filesystem::path& runDir);

// The CPU threads the interrupted run in RUN trained with (from its checkpoint); 0 when the record
// predates this field. A resumed run repeats an uninterrupted one bit for bit only with the same
// count: reductions split differently over another number of threads.
int64_t resumableRunThreads(const std::filesystem::path& runDir);

}  // namespace gt
