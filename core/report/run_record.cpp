#include "core/report/run_record.h"

#include <sstream>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {

nlohmann::json RunRecord::toJson() const {
  nlohmann::ordered_json j;
  j["format"] = "greentrainer-run-record";
  j["version"] = 1;
  j["status"] = status;
  if (!error.empty()) j["error"] = error;
  j["precision"] = precision;
  j["device"] = {{"name", deviceName}, {"peak_flops", devicePeakFlops}, {"threads", computeThreads}};
  auto sources = nlohmann::ordered_json::array();
  for (const auto& [name, joules] : energySources) sources.push_back({{"name", name}, {"joules", joules}});
  j["energy"] = {{"joules", energyJoules >= 0 ? nlohmann::ordered_json(energyJoules) : nlohmann::ordered_json()},
                 {"sources", sources},
                 {"note", energyNote}};
  j["config"] = config;
  j["model"] = model;
  j["dataset"] = dataset;
  j["reference_shape"] = {{"batch", referenceBatch}, {"seq", referenceSeq}, {"t_fp", referenceTFp}, {"t_full", referenceTFull}};
  auto& t = j["tensors"] = nlohmann::ordered_json::array();
  for (const auto& e : tensors) t.push_back({{"name", e.name}, {"shape", e.shape}, {"dw", e.dw}, {"reach", e.reach}});
  auto& s = j["steps"] = nlohmann::ordered_json::array();
  for (const auto& e : steps)
    s.push_back({{"step", e.step}, {"epoch", e.epoch}, {"loss", e.loss}, {"lr", e.lr}, {"flops", e.flops}, {"flops_full", e.flopsFull},
                 {"tokens", e.tokens}, {"batch", e.batch}, {"seq", e.seq}, {"forward_ms", e.forwardMs}, {"backward_ms", e.backwardMs},
                 {"optimizer_ms", e.optimizerMs}, {"skipped", e.skipped}, {"step_ms", e.stepMs}});
  auto& sel = j["selections"] = nlohmann::ordered_json::array();
  for (const auto& e : selections)
    sel.push_back({{"epoch", e.epoch}, {"step", e.step}, {"rho", e.rho}, {"selected", e.selected}, {"importance_raw", e.importanceRaw},
                   {"importance_scaled", e.importanceScaled}, {"predicted_fraction", e.predictedFraction},
                   {"importance_ms", e.importanceMs}, {"selection_ms", e.selectionMs}, {"importance_peak_bytes", e.importancePeakBytes},
                   {"cutoff", e.cutoff}, {"importance_flops", e.importanceFlops}});
  auto& ep = j["epochs"] = nlohmann::ordered_json::array();
  for (const auto& e : epochs)
    ep.push_back({{"epoch", e.epoch}, {"mean_loss", e.meanLoss}, {"eval_loss", e.evalLoss}, {"flops", e.flops}, {"flops_full", e.flopsFull},
                  {"seconds", e.seconds}});
  auto& ge = j["generation_evals"] = nlohmann::ordered_json::array();
  for (const auto& e : generationEvals) {
    auto samples = nlohmann::ordered_json::array();
    for (const auto& [p, r] : e.samples) samples.push_back({{"prediction", p}, {"reference", r}});
    ge.push_back({{"epoch", e.epoch}, {"split", e.split}, {"examples", e.examples}, {"rouge1", e.rouge1}, {"rouge2", e.rouge2},
                  {"rougeL", e.rougeL}, {"exact_match", e.exactMatch}, {"stem", e.stem}, {"seconds", e.seconds}, {"samples", samples}});
  }
  j["totals"] = {{"flops", totalFlops},
                 {"flops_full", totalFlopsFull},
                 {"fraction", totalFlopsFull > 0 ? totalFlops / totalFlopsFull : 0.0},
                 {"importance_flops", importanceFlops},
                 {"flops_with_importance", totalFlops + importanceFlops},
                 {"wall_seconds", wallSeconds},
                 {"importance_seconds", importanceSeconds},
                 {"selection_seconds", selectionSeconds},
                 {"peak_memory_bytes", peakMemoryBytes}};
  return j;
}

RunRecord RunRecord::fromJson(const nlohmann::json& j, const std::string& where) {
  check(j.is_object() && j.value("format", "") == "greentrainer-run-record", where + ": not a GreenTrainer run record (missing \"format\")");
  RunRecord r;
  try {
    r.status = j.at("status").get<std::string>();
    r.error = j.value("error", "");
    r.precision = j.value("precision", "fp32");  // records written before precision modes trained in fp32 (or --dtype)
    if (j.contains("device")) {
      r.deviceName = j["device"].value("name", "");
      r.devicePeakFlops = j["device"].value("peak_flops", 0.0);
      r.computeThreads = j["device"].value("threads", int64_t(0));
    }
    if (j.contains("energy")) {  // records written before the energy meter have none
      const auto& e = j["energy"];
      r.energyJoules = e.at("joules").is_null() ? -1.0 : e.at("joules").get<double>();
      for (const auto& s : e.at("sources")) r.energySources.emplace_back(s.at("name").get<std::string>(), s.at("joules").get<double>());
      r.energyNote = e.at("note").get<std::string>();
    }
    r.config = j.at("config");
    r.model = j.at("model");
    r.dataset = j.value("dataset", nlohmann::json::object());
    const auto& ref = j.at("reference_shape");
    r.referenceBatch = ref.at("batch");
    r.referenceSeq = ref.at("seq");
    r.referenceTFp = ref.at("t_fp");
    r.referenceTFull = ref.at("t_full");
    for (const auto& e : j.at("tensors")) r.tensors.push_back({e.at("name"), e.at("shape").get<std::vector<int64_t>>(), e.at("dw"), e.at("reach")});
    for (const auto& e : j.at("steps"))
      r.steps.push_back({e.at("step"), e.at("epoch"), e.at("loss"), e.at("lr"), e.at("flops"), e.at("flops_full"), e.at("tokens"),
                         e.at("batch"), e.at("seq"), e.at("forward_ms"), e.at("backward_ms"), e.at("optimizer_ms"),
                         e.value("skipped", false), e.value("step_ms", 0.0)});
    for (const auto& e : j.at("selections")) {
      SelectionRecord s;
      s.epoch = e.at("epoch");
      s.step = e.at("step");
      s.rho = e.at("rho");
      s.selected = e.at("selected").get<std::vector<std::string>>();
      s.importanceRaw = e.at("importance_raw").get<std::vector<double>>();
      s.importanceScaled = e.at("importance_scaled").get<std::vector<double>>();
      s.predictedFraction = e.at("predicted_fraction");
      s.importanceMs = e.at("importance_ms");
      s.selectionMs = e.at("selection_ms");
      s.importancePeakBytes = e.at("importance_peak_bytes");
      s.cutoff = e.at("cutoff");
      s.importanceFlops = e.at("importance_flops");
      r.selections.push_back(std::move(s));
    }
    for (const auto& e : j.at("epochs"))
      r.epochs.push_back({e.at("epoch"), e.at("mean_loss"), e.at("eval_loss"), e.at("flops"), e.at("flops_full"), e.at("seconds")});
    for (const auto& e : j.value("generation_evals", nlohmann::json::array())) {
      GenerationEvalRecord g;
      g.epoch = e.at("epoch");
      g.split = e.at("split");
      g.examples = e.at("examples");
      g.rouge1 = e.at("rouge1");
      g.rouge2 = e.at("rouge2");
      g.rougeL = e.at("rougeL");
      g.exactMatch = e.at("exact_match");
      g.stem = e.at("stem");
      g.seconds = e.at("seconds");
      for (const auto& s : e.at("samples")) g.samples.emplace_back(s.at("prediction"), s.at("reference"));
      r.generationEvals.push_back(std::move(g));
    }
    const auto& t = j.at("totals");
    r.totalFlops = t.at("flops");
    r.totalFlopsFull = t.at("flops_full");
    r.importanceFlops = t.at("importance_flops");
    r.wallSeconds = t.at("wall_seconds");
    r.importanceSeconds = t.at("importance_seconds");
    r.selectionSeconds = t.at("selection_seconds");
    r.peakMemoryBytes = t.value("peak_memory_bytes", int64_t(-1));
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": malformed run record: " + e.what());
  }
  return r;
}

std::string RunRecord::toText() const {
  // Text from the user's files that is not valid UTF-8 is written as U+FFFD rather than making the record unwritable.
  return toJson().dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void RunRecord::save(const std::filesystem::path& path) const { writeTextAtomically(path, toText()); }

RunRecord RunRecord::load(const std::filesystem::path& path) { return fromJson(readJsonFile(path), path.string()); }

std::string RunRecord::stepsCsv() const {
  std::ostringstream out;
  out.precision(10);
  out << "step,epoch,loss,lr,flops,flops_full,cumulative_flops,cumulative_flops_full,tokens,forward_ms,backward_ms,optimizer_ms,skipped,step_ms\n";
  double cum = 0, cumFull = 0;
  for (const auto& s : steps) {
    cum += s.flops;
    cumFull += s.flopsFull;
    out << s.step << "," << s.epoch << "," << s.loss << "," << s.lr << "," << s.flops << "," << s.flopsFull << "," << cum << "," << cumFull
        << "," << s.tokens << "," << s.forwardMs << "," << s.backwardMs << "," << s.optimizerMs << "," << int(s.skipped) << "," << s.stepMs << "\n";
  }
  return out.str();
}

void RunRecord::continueFrom(RunRecord&& earlier) {
  steps = std::move(earlier.steps);
  selections = std::move(earlier.selections);
  epochs = std::move(earlier.epochs);
  generationEvals = std::move(earlier.generationEvals);
  totalFlops = earlier.totalFlops;
  totalFlopsFull = earlier.totalFlopsFull;
  importanceFlops = earlier.importanceFlops;
  importanceSeconds = earlier.importanceSeconds;
  selectionSeconds = earlier.selectionSeconds;
  peakMemoryBytes = earlier.peakMemoryBytes;
}

}  // namespace gt
