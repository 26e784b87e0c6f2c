#include "app/cli/man_page.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <vector>

namespace gt::cli {
namespace {

// Text for a roff line: backslashes and hyphens escaped (so options copy as ASCII "-"), newlines
// joined, a leading '.' or '\'' guarded, and every non-ASCII character written as groff's
// \[uXXXX] so the page renders the same whatever input encoding groff assumes.
std::string roff(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\\') out += "\\e";
      else if (c == '-') out += "\\-";
      else if (c == '\n') out += ' ';
      else out += char(c);
      ++i;
      continue;
    }
    const int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    unsigned code = c & (0x3F >> extra);
    for (int k = 1; k <= extra && i + k < s.size(); ++k) code = (code << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\[u%04X]", code);
    out += buf;
    i += size_t(extra) + 1;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

bool isPositional(const CLI::Option* o) { return o->get_positional() && !o->nonpositional(); }
bool takesValues(const CLI::Option* o) { return o->get_type_size() != 0; }
bool repeats(const CLI::Option* o) { return o->get_expected_max() == CLI::detail::expected_max_vector_size; }

// ".TP" entry: the option's names in bold, its value type in italics, then its help, whether it is
// required, what it excludes and its default.
void writeOption(std::ostringstream& out, const CLI::Option* o) {
  out << ".TP\n";
  if (isPositional(o)) {
    out << "\\fI" << roff(o->get_name(true)) << "\\fR" << (repeats(o) ? " ..." : "") << "\n";
  } else {
    std::istringstream parts(o->get_name(false, true));  // "-h,--help"
    std::string sep, part;
    while (std::getline(parts, part, ',')) {
      out << sep << "\\fB" << roff(part) << "\\fR";
      sep = ", ";
    }
    if (takesValues(o) && !o->get_type_name().empty()) out << " \\fI" << roff(o->get_type_name()) << "\\fR" << (repeats(o) ? " ..." : "");
    out << "\n";
  }
  const auto names = [](const std::set<CLI::Option*>& options) {  // sorted by name: the set is ordered by address
    std::vector<std::string> sorted;
    for (const CLI::Option* other : options) sorted.push_back(other->get_name());
    std::sort(sorted.begin(), sorted.end());
    std::string list;
    for (size_t i = 0; i < sorted.size(); ++i) list += (i == 0 ? "" : i + 1 == sorted.size() ? " or " : ", ") + sorted[i];
    return list;
  };
  std::string notes;
  if (o->get_required()) notes += " Required.";
  if (!o->get_excludes().empty()) notes += " Cannot be combined with " + names(o->get_excludes()) + ".";
  if (!o->get_needs().empty()) notes += " Needs " + names(o->get_needs()) + ".";
  if (takesValues(o) && !o->get_default_str().empty()) notes += " Default: " + o->get_default_str() + ".";
  std::string text = o->get_description();
  if (!notes.empty() && !text.empty() && text.back() != '.') text += '.';
  out << roff(text + notes) << "\n";
}

std::vector<const CLI::App*> visibleSubcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); });
}

void writeCommand(std::ostringstream& out, const CLI::App& cmd, const std::string& path) {
  const auto positionals = cmd.get_options(isPositional);
  const auto options = cmd.get_options([&cmd](const CLI::Option* o) {
    return o != cmd.get_help_ptr() && !isPositional(o) && !o->get_group().empty();
  });
  const auto subs = visibleSubcommands(cmd);
  std::string usage = path;
  if (!options.empty()) usage += " [OPTIONS]";
  if (!subs.empty()) usage += " COMMAND";
  for (const CLI::Option* p : positionals) {
    const std::string name = p->get_name(true) + (repeats(p) ? "..." : "");
    usage += " " + (p->get_required() ? name : "[" + name + "]");
  }
  out << ".SS " << roff(usage) << "\n" << roff(cmd.get_description()) << "\n";
  for (const CLI::Option* p : positionals) writeOption(out, p);
  for (const CLI::Option* o : options) writeOption(out, o);
  for (const CLI::App* sub : subs) writeCommand(out, *sub, path + " " + sub->get_name());
}

// The parts no option table holds: what the tool is for, the files it writes, how to start.
constexpr const char* kDescription = R"(.SH DESCRIPTION
.B greentrainer
fine-tunes transformer language models stored as Hugging Face folders (config.json, safetensors
weights, tokenizer.json) on JSONL, CSV or TSV datasets of source/target pairs.
With the default method,
.BR gt ,
it applies GreenTrainer's adaptive backpropagation (ICLR 2024): at each selection it measures how much
training each weight tensor would reduce the loss and solves a knapsack over the backward pass, so
that a training step costs at most the fraction
.I rho
of full fine-tuning's FLOPs.
Full fine-tuning, the paper's FT\-Top2, the last K blocks, LISA, BAdam, LoRA and prefix tuning run in
the same trainer with the same FLOPs accounting, so their runs compare side by side.
.PP
Decoder-only families: opt, bloom, gpt2, llama, qwen2. Encoder-decoders: t5 (T5, FLAN\-T5), which
.B train
fine-tunes with full, gt, top2 or lora (the encoder reads "summarize: {source}" and EOS unless
.B \-\-template
says otherwise), and which eval, generate, profile (with
.BR \-\-decoder\-seq )
and inspect take.
.PP
Every run writes a run record (\fIrun.json\fR) with the per-step loss, the predicted FLOPs and the
time of every step, each selection with its importance, and the final scores;
.B greentrainer compare
tabulates records,
.B greentrainer selections
explains a GreenTrainer run's choices, and
.BR greentrainer\-studio (1)
plots them.
Runs use the CPU, or a CUDA device where LibTorch was built with CUDA
.RB ( \-\-device\ cuda ).
)";

constexpr const char* kTail = R"(.SH FILES
.TP
.I RUN_DIR/run.json
The run record: settings, per-step and per-epoch series, selections, evaluations, final metrics.
Written under a temporary name and renamed, so it is never half-written.
.TP
.I RUN_DIR/steps.csv
One row per step: loss, learning rate, FLOPs, time.
.TP
.I RUN_DIR/predictions.jsonl
Generated outputs and their references when the run scores ROUGE
.RB ( \-\-generate\-split ).
.TP
.I RUN_DIR/model/
The fine-tuned model as a Hugging Face folder (LoRA: with the adapter merged into the weights).
.TP
.IR RUN_DIR/adapter/ ", " RUN_DIR/prefix/
LoRA's adapter alone; prefix tuning's virtual tokens (its base model is unchanged).
.TP
.I RUN_DIR/checkpoint/
The state a stopped run continues from with
.BR "train \-\-resume RUN_DIR" .
.TP
.I /usr/share/greentrainer/demo/
The demo: an 8M-parameter Llama pretrained on Debian package descriptions, its tokenizer, and
4,000 training pairs (description to one-line synopsis) with validation and test splits.
.SH ENVIRONMENT
.TP
.B OMP_NUM_THREADS
LibTorch's CPU threads when
.B \-\-threads
is 0 (its default).
.TP
.B OPENBLAS_CORETYPE
OpenBLAS's kernels (e.g. SkylakeX, Haswell). When it is unset and OpenBLAS does not recognise an
Intel CPU (it then falls back to its SSE3 Prescott kernels), greentrainer selects the kernels of the
CPU's vector units and sets it for its child processes;
.B \-\-version
names the kernels in use.
.TP
.BR MALLOC_ARENA_MAX ", " MALLOC_MMAP_THRESHOLD_ ", " GLIBC_TUNABLES
When none of glibc's malloc settings (these, the other MALLOC_ variables, or a glibc.malloc tunable)
is given, greentrainer keeps freed blocks up to 1 GiB in one
malloc arena for the next training step instead of returning each to the system; setting any of
them leaves glibc's defaults in force.
.B \-\-version
says which.
.TP
.B GT_SENTENCEPIECE_PLUGIN
Path of libgt_sentencepiece.so, which reads SentencePiece tokenizer.model files; by default it is
looked for beside the executable and in ../lib/greentrainer.
.TP
.B GT_POWERCAP_ROOT
Where the Linux powercap tree is (default /sys/class/powercap), whose RAPL counters give the
energy a run uses on the CPU packages and their DRAM; a container may mount the host's tree
elsewhere. Since Linux 5.10 only root may read these counters.
.TP
.B GT_NVML_LIBRARY
NVIDIA's management library (default libnvidia\-ml.so.1), whose counter gives the energy a run uses
on its GPU. Where neither counter can be read, the run record says why and holds no energy.
.SH EXAMPLES
Fine-tune the demo model with GreenTrainer at half of full fine-tuning's FLOPs and score ROUGE on
100 test pairs:
.PP
.nf
.RS
greentrainer train \-\-model /usr/share/greentrainer/demo/model \e
  \-\-data /usr/share/greentrainer/demo/debian\-descriptions.jsonl \-\-split train \e
  \-\-epochs 2 \-\-batch\-size 16 \-\-lr 3e\-4 \-\-max\-length 256 \-\-method gt \-\-rho 0.5 \e
  \-\-generate\-split test \-\-max\-generate\-examples 100 \-\-out runs/gt\-0.5
.RE
.fi
.PP
Compare it with a Full FT run of the same settings, and see what GreenTrainer chose:
.PP
.nf
.RS
greentrainer compare runs/full runs/gt\-0.5
greentrainer selections runs/gt\-0.5
.RE
.fi
.SH SEE ALSO
.BR greentrainer\-studio (1)
)";

}  // namespace

std::string manPage(const CLI::App& app, const std::string& version) {
  std::ostringstream out;
  std::string summary = app.get_description();
  if (const auto colon = summary.find(": "); colon != std::string::npos) summary = summary.substr(colon + 2);
  out << ".TH GREENTRAINER 1 \"\" \"greentrainer " << version << "\" \"User Commands\"\n";
  out << ".SH NAME\ngreentrainer \\- " << roff(summary) << "\n";
  out << ".SH SYNOPSIS\n.B greentrainer\n.RI [ OPTIONS ]\n.I COMMAND\n.RI [ \"COMMAND OPTIONS\" ]\n";
  out << kDescription;
  out << ".SH OPTIONS\n";
  for (const CLI::Option* o : app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); })) writeOption(out, o);
  out << ".SH COMMANDS\n";
  for (const CLI::App* sub : visibleSubcommands(app)) writeCommand(out, *sub, "greentrainer " + sub->get_name());
  out << ".SH EXIT STATUS\n" << roff(app.get_footer().substr(app.get_footer().find(':') + 2)) << "\n";
  out << kTail;
  return out.str();
}

}  // namespace gt::cli
