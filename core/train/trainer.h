// The training loop: Full FT or GreenTrainer (adaptive selection of trainable tensors under a
// FLOPs budget, GREENTRAINER.md §1-5). Talks to the outside only through RunObserver and
// RunControl; returns (and, with out_dir, writes) the RunRecord.
#pragma once
#include "core/report/run_record.h"
#include "core/train/run_config.h"
#include "core/train/run_control.h"
#include "core/train/run_observer.h"

namespace gt {

class Trainer {
 public:
  // observer/control may be null. The config is copied.
  Trainer(RunConfig config, RunObserver* observer = nullptr, RunControl* control = nullptr);

  // Bad input (config, model, tokenizer, data, infeasible rho) throws gt::Error before training
  // starts. A NaN loss during training throws gt::Error after the record (status "failed") is
  // written. Cancellation returns a record with status "cancelled".
  RunRecord run();

 private:
  RunConfig config_;
  RunObserver* observer_;
  RunControl* control_;
};

}  // namespace gt
