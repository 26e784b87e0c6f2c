// The training loop: Full FT or GreenTrainer (adaptive selection of trainable tensors under a
// FLOPs budget, GREENTRAINER.md §1-5). Talks to the outside only through RunObserver and
// RunControl; returns (and, with out_dir, writes) the RunRecord.
#pragma once
#include "core/report/run_record.h"
#include "core/train/run_config.h"
#include "core/train/run_control.h"
#include "core/train/run_observer.h"
#include "core/util/run_folder.h"

namespace gt {

class Trainer {
 public:
  // observer/control may be null. The config is copied. With an out_dir, folderMode says what
  // the run folder may hold: nothing (New), a run to replace (Overwrite), or the run to continue
  // from its checkpoint (Resume; take the config from resumableRunConfig()).
  Trainer(RunConfig config, RunObserver* observer = nullptr, RunControl* control = nullptr,
          RunFolderMode folderMode = RunFolderMode::New);

  // Bad input (config, run folder, model, tokenizer, data, infeasible rho) throws gt::Error
  // before training starts, leaving the folder as it was. The folder then holds run.json (status
  // "running") at once, a checkpoint every checkpoint_every_steps steps and at each epoch end,
  // and at the end the model (or adapter) and the finished record. A NaN loss throws gt::Error
  // after the record (status "failed") is written. Cancellation writes a checkpoint and returns
  // a record with status "cancelled".
  RunRecord run();

 private:
  RunConfig config_;
  RunObserver* observer_;
  RunControl* control_;
  RunFolderMode folderMode_;
};

}  // namespace gt
