// The greentrainer CLI as a user runs it: subcommands, JSON output, exit codes and messages.
#include <QtTest/QtTest>

#include <QProcess>
#include <fstream>

#include <torch/version.h>

#include <map>

#include "core/io/safetensors.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

using Result = test::CliResult;
Result run(const QStringList& args) { return test::runCli(args); }

nlohmann::json parse(const QString& s) { return nlohmann::json::parse(s.toStdString()); }

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void helpListsSubcommands() {
    auto r = run({"--help"});
    QCOMPARE(r.code, 0);
    for (const char* c : {"inspect", "tokenize", "generate", "profile", "select", "train", "bench", "--log-level", "--version"})
      QVERIFY2(r.out.contains(c), c);
  }

  void versionReportsBlasAndThreads() {
    auto r = run({"--version"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("greentrainer " GT_VERSION));
    QVERIFY2(r.out.contains("BLAS: OpenBLAS"), qPrintable(r.out));
    QVERIFY2(r.out.contains("\nBLAS kernels: "), qPrintable(r.out));
    // `greentrainer --version` started in another environment: its standard output.
    auto versionIn = [](const QProcessEnvironment& environment) {
      QProcess p;
      p.setProcessEnvironment(environment);
      p.start(GT_CLI_PATH, {"--version"});
      return p.waitForFinished(60000) ? QString::fromUtf8(p.readAllStandardOutput()) : QString("(did not finish)");
    };
    // Started without OPENBLAS_CORETYPE (this test process set it for itself), the CLI replaces
    // OpenBLAS's fallback for CPUs it does not know where an Intel CPU has AVX2 + FMA.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("OPENBLAS_CORETYPE");
    const QString out = versionIn(env);
    QVERIFY2(out.contains("\nBLAS kernels: "), qPrintable(out));
    __builtin_cpu_init();
    if (__builtin_cpu_is("intel") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
      QVERIFY2(!out.contains("BLAS kernels: Prescott"), qPrintable(out));
    QVERIFY(r.out.contains("threads: "));
    // malloc keeps freed blocks for the next step (core/util/cpu_allocator.h), unless the user set
    // glibc's malloc up.
    for (const QString& name : env.keys())
      if (name.startsWith("MALLOC_") || name == "GLIBC_TUNABLES") env.remove(name);
    const QString kept = versionIn(env);
    QVERIFY2(kept.contains("\nmemory allocator: glibc malloc, freed blocks up to 1 GiB kept for reuse\n"), qPrintable(kept));
    env.insert("MALLOC_ARENA_MAX", "4");
    const QString users = versionIn(env);
    QVERIFY2(users.contains("\nmemory allocator: glibc malloc defaults (MALLOC_ARENA_MAX is set)\n"), qPrintable(users));
  }

  void inspectJson() {
    const auto dir = test::fixture("models/opt");
    if (dir.empty()) QSKIP("fixture not found");
    auto r = run({"inspect", QString::fromStdString(dir.string()), "--json"});
    QCOMPARE(r.code, 0);
    auto j = parse(r.out);
    QCOMPARE(j["model_type"].get<std::string>(), std::string("opt"));
    QCOMPARE(j["parameters"].get<int64_t>(), int64_t(141184));  // HF num_parameters() of the fixture
    QCOMPARE(j["tensors"].size(), size_t(36));
    QCOMPARE(j["tensors"][0]["name"].get<std::string>(), std::string("model.decoder.embed_tokens.weight"));
    QCOMPARE(j["tensors"][0]["shape"], nlohmann::json::parse("[512, 64]"));
    QCOMPARE(j["tensors"][0]["dtype"].get<std::string>(), std::string("F32"));
  }

  void tokenizeAndDecode() {
    const auto dir = test::fixture("tokenizers/bytelevel-8k");
    if (dir.empty()) QSKIP("fixture not found");
    const auto ref = test::readJsonl(dir / "reference.jsonl")[14];
    auto r = run({"tokenize", QString::fromStdString((dir / "tokenizer.json").string()), "--text",
                  QString::fromStdString(ref["text"].get<std::string>()), "--json"});
    QCOMPARE(r.code, 0);
    auto j = parse(r.out);
    QCOMPARE(j["ids"], ref["ids"]);
    QCOMPARE(j["tokens"], ref["tokens"]);
    std::string idList;
    for (const auto& id : ref["ids"]) idList += (idList.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
    r = run({"tokenize", QString::fromStdString(dir.string()), "--decode", QString::fromStdString(idList)});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString::fromStdString(ref["decoded"].get<std::string>() + "\n"));
  }

  // --file streams a file line by line (or a JSONL field) with the reference library's ids, adds
  // the post-processor's special tokens when asked; --text= and --text "" are the empty text.
  void tokenizeFileAndSpecialTokens() {
    const auto dir = test::fixture("tokenizers/real/mistral-7b-v0.1");
    if (dir.empty()) QSKIP("fixture not found");
    const QString tok = QString::fromStdString((dir / "tokenizer.json").string());
    const auto rows = test::readJsonl(dir / "reference.jsonl");
    test::TempDir tmp;
    std::string lines, jsonl;
    std::vector<nlohmann::json> used;
    for (const auto& row : rows) {
      const std::string text = row["text"].get<std::string>();
      if (text.empty() || text.find_first_of("\r\n") != std::string::npos) continue;  // one text per line
      used.push_back(row);
      lines += text + "\n";
      jsonl += nlohmann::json({{"id", used.size()}, {"body", text}}).dump() + "\n";
    }
    QVERIFY(used.size() > 200);
    test::writeFile(tmp.path() / "texts.txt", lines);
    test::writeFile(tmp.path() / "texts.jsonl", jsonl);
    auto r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "texts.txt").string()), "--json"});
    QCOMPARE(r.code, 0);
    auto out = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(size_t(out.size()), used.size());
    size_t tokens = 0;
    for (size_t i = 0; i < used.size(); ++i) {
      QCOMPARE(parse(out[int(i)])["ids"], used[i]["ids"]);
      tokens += used[i]["ids"].size();
    }
    const auto summary = parse(r.err);
    QCOMPARE(summary["texts"].get<size_t>(), used.size());
    QCOMPARE(summary["tokens"].get<size_t>(), tokens);
    r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "texts.jsonl").string()), "--jsonl-field", "body",
             "--add-special-tokens", "--json"});
    QCOMPARE(r.code, 0);
    out = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(size_t(out.size()), used.size());
    for (size_t i = 0; i < used.size(); ++i) QCOMPARE(parse(out[int(i)])["ids"], used[i]["ids_special"]);
    r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "texts.jsonl").string()), "--count", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(parse(r.out)["texts"].get<size_t>(), used.size());  // every line is a text when no field is named
    r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "texts.jsonl").string()), "--jsonl-field", "title"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString::fromStdString("error: " + (tmp.path() / "texts.jsonl").string() + ":1: field 'title' (a string) is missing\n"));
    test::writeFile(tmp.path() / "bad.txt", "fine\nnot \xFF utf-8\n");
    r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "bad.txt").string()), "--count"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString::fromStdString("error: " + (tmp.path() / "bad.txt").string() + ":2: text to encode: not valid UTF-8 at byte 4\n"));
    r = run({"tokenize", tok, "--file", QString::fromStdString((tmp.path() / "absent.txt").string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString::fromStdString("error: " + (tmp.path() / "absent.txt").string() + ": cannot open for reading\n"));

    // The empty text, both spellings; the argument after --text= is not swallowed.
    for (const QStringList& empty : {QStringList{"--text="}, QStringList{"--text", ""}}) {
      r = run(QStringList{"tokenize", tok} + empty + QStringList{"--add-special-tokens", "--json"});
      QCOMPARE(r.code, 0);
      QCOMPARE(parse(r.out)["ids"], rows[0]["ids_special"]);  // rows[0] is the empty string: just BOS
    }
    QCOMPARE(rows[0]["text"].get<std::string>(), std::string());
    r = run({"tokenize", tok, "--text", "x", "--count"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --count needs --file\n"));
  }

  void generateBeamMatchesReference() {
    const auto dir = test::fixture("models/llama-gqa-tied");
    if (dir.empty()) QSKIP("fixture not found");
    SafetensorsFile ref(dir / "reference.safetensors");
    const auto prompt = test::toIds(ref.tensor("input_ids")[0].slice(0, 0, 6));
    QStringList ids;
    for (auto id : prompt) ids << QString::number(id);
    auto r = run({"generate", QString::fromStdString(dir.string()), "--input-ids", ids.join(","), "--max-new-tokens", "10",
                  "--beams", "4", "--early-stopping", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(parse(r.out)["ids"].get<std::vector<int64_t>>(), test::toIds(ref.tensor("generate.beam4")));
  }

  // generate/eval --precision: bf16-mixed and bf16-true keep transformers' fp32 beam search on the
  // fixture; on the demo model (8 test rows, 4 beams) bf16-mixed changes at least one prediction,
  // so its autocast really ran, without moving ROUGE-L by more than 5 points; names it cannot run
  // are errors.
  void generateAndEvalFollowPrecision() {
    const auto dir = test::fixture("models/llama-gqa-tied");
    if (dir.empty()) QSKIP("fixture not found");
    SafetensorsFile ref(dir / "reference.safetensors");
    QStringList ids;
    for (auto id : test::toIds(ref.tensor("input_ids")[0].slice(0, 0, 6))) ids << QString::number(id);
    const QString model = QString::fromStdString(dir.string());
    for (const QString precision : {"bf16-mixed", "bf16-true"}) {
      auto r = run({"generate", model, "--input-ids", ids.join(","), "--max-new-tokens", "10", "--beams", "4", "--early-stopping", "--precision",
                    precision, "--json"});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      QCOMPARE(parse(r.out)["ids"].get<std::vector<int64_t>>(), test::toIds(ref.tensor("generate.beam4")));
      QCOMPARE(QString::fromStdString(parse(r.out)["precision"].get<std::string>()), precision);
    }
    auto r = run({"generate", model, "--input-ids", ids.join(","), "--precision", "fp8"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: precision (--precision): expected auto, fp32, bf16-mixed, fp16-mixed, bf16-true or fp16-true, got 'fp8'\n"));
    r = run({"generate", model, "--input-ids", ids.join(","), "--precision", "fp16-true", "--dtype", "bfloat16"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: precision fp16-true keeps the weights in float16, but dtype (--dtype) is bfloat16; leave --dtype out\n"));
#if TORCH_VERSION_MAJOR < 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR < 4)
    r = run({"generate", model, "--input-ids", ids.join(","), "--precision", "fp16-mixed"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: precision fp16-mixed needs a CUDA device here: CPU autocast in LibTorch " TORCH_VERSION
                            " runs bfloat16 only (use bf16-mixed)\n"));
#endif

    const fs::path demo = fs::path(GT_TEST_FIXTURES).parent_path().parent_path() / "resources" / "demo";
    test::TempDir tmp;
    std::map<QString, nlohmann::json> scores;
    std::map<QString, std::vector<nlohmann::json>> predictions;
    for (const QString precision : {"fp32", "bf16-mixed"}) {
      const auto p = tmp.path() / (precision.toStdString() + ".jsonl");
      auto e = run({"eval", "--model", QString::fromStdString((demo / "model").string()), "--data",
                    QString::fromStdString((demo / "debian-descriptions.jsonl").string()), "--max-examples", "8", "--precision", precision,
                    "--predictions", QString::fromStdString(p.string()), "--json"});
      QVERIFY2(e.code == 0, qPrintable(e.err));
      scores[precision] = parse(e.out);
      QCOMPARE(QString::fromStdString(scores[precision]["precision"].get<std::string>()), precision);
      predictions[precision] = test::readJsonl(p);
      QCOMPARE(predictions[precision].size(), size_t(8));
    }
    int differ = 0;
    for (size_t i = 0; i < 8; ++i) differ += predictions["fp32"][i]["prediction"] != predictions["bf16-mixed"][i]["prediction"];
    QVERIFY2(differ >= 1, "bf16-mixed gave fp32's predictions on every row: was autocast on?");
    QVERIFY(std::abs(scores["fp32"]["rougeL"].get<double>() - scores["bf16-mixed"]["rougeL"].get<double>()) < 0.05);
  }

  // bench --only step: JSON alone on stdout with the figures the GPU comparison reads (tests/bench/gpu_speed.sh).
  void benchStepReportsThroughputAndMemory() {
    auto r = run({"bench", "--only", "step", "--rounds", "1", "--batch", "1", "--seq", "16", "--precision", "bf16-mixed", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto s = parse(r.out)["step"];
    QCOMPARE(s["shape"].get<std::string>(), std::string("small-llama"));
    QCOMPARE(s["precision"].get<std::string>(), std::string("bf16-mixed"));
    QCOMPARE(s["parameters"].get<int64_t>(), int64_t(27795968));  // 8192x512 + 8 x (2x512x512 + 2x512x256 + 3x512x1408 + 2x512) + 512, tied head
    QCOMPARE(s["selected"].size(), s["selected_tensors"].get<size_t>());
    QVERIFY(s["selected_tensors"].get<int>() > 0 && s["selected_tensors"].get<int>() < s["tensors"].get<int>());
    QVERIFY(std::abs(s["full_tokens_per_s"].get<double>() * s["full_s_median"].get<double>() - 16.0) < 1e-6);
    QVERIFY(s["predicted_flops_ratio"].get<double>() > 0 && s["predicted_flops_ratio"].get<double>() <= 0.5);
    QVERIFY(s["full_peak_memory_bytes"].get<int64_t>() > 0 && s["gt_peak_memory_bytes"].get<int64_t>() > 0);
    QVERIFY(s["full_mfu_percent"].is_null());  // a CPU is not in the peak table
    QVERIFY(r.err.contains("Full FT") && r.err.contains("tokens/s"));  // the readable lines went to stderr
    // Energy per step: no counters here (a missing powercap folder), so none, and why; with a package
    // counter that stands still, 0 J per step for both and no ratio.
    test::TempDir tmp;
    const auto missing = tmp.path() / "missing";
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString(missing.string()));
    const QStringList quick = {"bench", "--only", "step", "--rounds", "1", "--batch", "1", "--seq", "16", "--energy-seconds", "0.2", "--json"};
    r = run(quick);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    auto e = parse(r.out)["step"];
    QVERIFY(e["full_energy_j_per_step"].is_null() && e["gt_energy_j_per_step"].is_null() && e["energy_ratio"].is_null());
    const std::string why = "CPU: " + missing.string() + " does not exist (RAPL counters need Linux powercap, usually absent in virtual machines)";
    QCOMPARE(QString::fromStdString(e["energy_note"].get<std::string>()), QString::fromStdString(why));
    QVERIFY2(r.err.contains(QString::fromStdString("  energy: not measured (" + why + ")\n")), qPrintable(r.err));
    test::writePowercapZone(tmp.path() / "powercap", "intel-rapl:0", "package-0", 5000, 262143328850);
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "powercap").string()));
    r = run(quick);
    qunsetenv("GT_POWERCAP_ROOT");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    e = parse(r.out)["step"];
    QCOMPARE(e["full_energy_j_per_step"].get<double>(), 0.0);
    QCOMPARE(e["gt_energy_j_per_step"].get<double>(), 0.0);
    QVERIFY(e["energy_ratio"].is_null());
    QCOMPARE(QString::fromStdString(e["energy_sources"].get<std::string>()), QString("RAPL package-0"));
    QVERIFY2(r.err.contains("  energy per step (RAPL package-0): Full FT 0.0 J, GT 0.0 J\n"), qPrintable(r.err));
    r = run({"bench", "--only", "step", "--energy-seconds", "-1"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --energy-seconds: expected 0 or more seconds\n"));
    r = run({"bench", "--only", "step", "--shape", "gpt-9"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --shape: expected small-llama, opt-350m, opt-1.3b or llama-1b, got 'gpt-9'\n"));
  }

  // bench --only attention: SDPA against the eager reference where LibTorch has it (>= 2.1: fp32
  // outputs and gradients within 1e-4), else a plain statement that only eager exists.
  void benchAttentionComparesKernels() {
    auto r = run({"bench", "--only", "attention", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto a = parse(r.out)["attention"];
    if (!a["sdpa"].get<bool>()) {
      QCOMPARE(r.err, QString::fromStdString("attention: at::scaled_dot_product_attention needs LibTorch >= 2.1 (this is " +
                                             a["libtorch"].get<std::string>() + "); eager only\n"));
      return;
    }
    QCOMPARE(a["cases"].size(), size_t(2));  // fp32 on the CPU: causal+padding, and with ALiBi
    for (const auto& c : a["cases"])
      for (const char* key : {"out_max_abs_diff", "grad_q_max_abs_diff", "grad_k_max_abs_diff", "grad_v_max_abs_diff"})
        QVERIFY2(c[key].get<double>() < 1e-4, qPrintable(QString::fromStdString(c.dump())));
  }

  void errorsExitNonZeroWithMessage() {
    auto r = run({"inspect", "/nonexistent/dir"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: /nonexistent/dir: not a model folder (expected config.json and model.safetensors)\n"));

    r = run({"tokenize", "/nonexistent/tok.json", "--text", "x"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: /nonexistent/tok.json: tokenizer not found\n"));

    const auto dir = test::fixture("models/opt");
    if (dir.empty()) return;
    r = run({"generate", QString::fromStdString(dir.string()), "--input-ids", "1,x"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --input-ids: 'x' is not an integer (expected comma-separated token ids)\n"));
    r = run({"generate", QString::fromStdString(dir.string()), "--input-ids", "1,9999"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: generate: prompt token id 9999 is outside the vocabulary [0, 512)\n"));
    r = run({"--log-level", "loud", "inspect", QString::fromStdString(dir.string())});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--log-level: expected one of trace, debug, info, warn, error, off; got 'loud'"), qPrintable(r.err));
  }

  void profileJsonAndVerify() {
    const auto dir = test::fixture("models/gpt2");
    if (dir.empty()) QSKIP("fixture not found");
    test::TempDir tmp;
    const auto out = tmp.path() / "profile.json";
    auto r = run({"profile", QString::fromStdString(dir.string()), "--batch", "2", "--seq", "8", "--json",
                  QString::fromStdString(out.string()), "--verify", "3"});
    QCOMPARE(r.code, 0);
    const auto j = nlohmann::json::parse(test::readFile(out));
    QCOMPARE(j["tensors"].size(), size_t(28));
    QCOMPARE(j["tensors"][0]["name"].get<std::string>(), std::string("transformer.ln_f.weight"));
    QCOMPARE(j["tensors"].back()["name"].get<std::string>(), std::string("transformer.wte.weight"));
    double reach = 0;
    for (const auto& t : j["tensors"]) {
      QVERIFY(std::abs(t["reach"].get<double>() - reach - t["dy"].get<double>()) < 1e-6 * (1 + reach));
      reach = t["reach"].get<double>();
    }
    QVERIFY(j["t_full"].get<double>() > j["t_fp"].get<double>());
    QVERIFY(j["verify"]["max_rel_error_matmul"].get<double>() < 0.01);
    QVERIFY(j["verify"]["t_full_rel_error_matmul"].get<double>() < 0.01);
  }

  void selectProblemFile() {
    test::TempDir tmp;
    const auto problem = tmp.path() / "problem.json";
    test::writeFile(problem, R"({"t_fp": 10, "t_full": 40, "rho": 0.5, "tq": 400, "tensors": [
      {"name": "a", "dw": 2, "reach": 1, "importance": 0.3}, {"name": "b", "dw": 3, "reach": 1, "importance": 0.4},
      {"name": "c", "dw": 4, "reach": 4, "importance": 0.5}, {"name": "d", "dw": 1, "reach": 9, "importance": 1.0}]})");
    for (const char* solver : {"exact", "paper", "brute"}) {
      auto r = run({"select", QString::fromStdString(problem.string()), "--solver", solver, "--json"});
      QCOMPARE(r.code, 0);
      const auto j = parse(r.out);
      QCOMPARE(j["mask"], nlohmann::json::parse("[0, 0, 0, 1]"));
      QCOMPARE(j["objective"].get<double>(), 1.0);
      QCOMPARE(j["flops"].get<double>(), 20.0);
      QCOMPARE(j["fraction"].get<double>(), 0.5);
      QVERIFY(j.contains("time_ms"));
    }
    test::writeFile(problem, R"({"t_fp": 10, "t_full": 40, "rho": 0.5, "tensors": [{"name": "a", "dw": "x", "reach": 1, "importance": 1}]})");
    auto r = run({"select", QString::fromStdString(problem.string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString::fromStdString("error: " + problem.string() + ": tensors[0].'dw' must be a finite number\n"));
  }

  void trainWritesRecordAndRejectsBadRho() {
    const auto model = test::fixture("models/opt");
    if (model.empty()) QSKIP("fixture not found");
    test::TempDir tmp;
    const QStringList base = {"train", "--model", QString::fromStdString(model.string()), "--tokenizer",
                              QString::fromStdString(test::fixture("tokenizers/bytes-only").string()), "--data",
                              QString::fromStdString(test::fixture("data/tiny.jsonl").string()), "--split", "train", "--epochs", "1",
                              "--lr", "1e-3", "--max-length", "128"};
    // Energy: no counters here (GT_POWERCAP_ROOT names a missing folder), so the summary says why.
    const auto noPowercap = tmp.path() / "no-powercap";
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString(noPowercap.string()));
    auto r = run(base + QStringList{"--method", "gt", "--rho", "0.5", "--out", QString::fromStdString((tmp.path() / "run").string())});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains(QString::fromStdString("\nenergy: not measured (CPU: " + noPowercap.string() +
                                                   " does not exist (RAPL counters need Linux powercap, usually absent in virtual machines))\n")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains("run record: " + QString::fromStdString((tmp.path() / "run" / "run.json").string())), qPrintable(r.out));
    QVERIFY(r.err.contains("step 3/3"));  // plain progress lines when stderr is not a terminal
    const auto rec = nlohmann::json::parse(test::readFile(tmp.path() / "run" / "run.json"));
    QCOMPARE(rec["status"].get<std::string>(), std::string("finished"));
    QCOMPARE(rec["config"]["rho"].get<double>(), 0.5);
    const auto selectionLine = [](const nlohmann::json& record, size_t i, const std::string& format) {
      const auto& s = record["selections"][i];
      char buf[200];
      std::snprintf(buf, sizeof buf, format.c_str(), s["selected"].size(), record["tensors"].size(), s["predicted_fraction"].get<double>());
      return QString(buf);
    };
    QVERIFY2(r.err.contains(selectionLine(rec, 0, "epoch 1: selected %zu/%zu tensors at rho 0.50, predicted %.3f of Full FT FLOPs\n")),
             qPrintable(r.err));

    // A layer schedule says which step it switched at, not a rho it does not have. (And with a
    // package counter that stands still, the run used 0 J by it: in the progress lines and the summary.)
    test::writePowercapZone(tmp.path() / "powercap", "intel-rapl:0", "package-0", 5000, 262143328850);
    qputenv("GT_POWERCAP_ROOT", QByteArray::fromStdString((tmp.path() / "powercap").string()));
    r = run(base + QStringList{"--method", "lisa", "--lisa-layers", "1", "--lisa-interval", "2", "--no-save-model", "--out",
                               QString::fromStdString((tmp.path() / "lisa").string())});
    QCOMPARE(r.code, 0);
    const auto lisa = nlohmann::json::parse(test::readFile(tmp.path() / "lisa" / "run.json"));
    QCOMPARE(lisa["selections"].size(), size_t(2));  // steps 1 and 3
    QVERIFY2(r.err.contains(selectionLine(lisa, 0, "step 1 (epoch 1): lisa trains %zu/%zu tensors, predicted %.3f of Full FT FLOPs\n")),
             qPrintable(r.err));
    QVERIFY(r.err.contains(selectionLine(lisa, 1, "step 3 (epoch 1): lisa trains %zu/%zu tensors, predicted %.3f of Full FT FLOPs\n")));
    QVERIFY(!r.err.contains("at rho"));
    qunsetenv("GT_POWERCAP_ROOT");
    QVERIFY2(r.out.contains("\nenergy: 0.0 J (RAPL package-0 0.0 J)\n"), qPrintable(r.out));
    QVERIFY2(r.err.contains(" 0.0 J ETA "), qPrintable(r.err));
    QVERIFY(std::filesystem::exists(tmp.path() / "run" / "model" / "model.safetensors"));

    // --config supplies settings, flags override them.
    const auto config = tmp.path() / "run.json";
    test::writeFile(config, R"({"method": "gt", "rho": 0.9, "epochs": 1})");
    r = run(base + QStringList{"--config", QString::fromStdString(config.string()), "--rho", "0.6", "--no-save-model", "--out",
                               QString::fromStdString((tmp.path() / "run2").string())});
    QCOMPARE(r.code, 0);
    QCOMPARE(nlohmann::json::parse(test::readFile(tmp.path() / "run2" / "run.json"))["config"]["rho"].get<double>(), 0.6);

    for (const auto& [rho, message] : std::vector<std::pair<QString, QString>>{
             {"0", "error: rho: expected a value in (0, 1], got 0\n"}, {"1.2", "error: rho: expected a value in (0, 1], got 1.2\n"}}) {
      r = run(base + QStringList{"--rho", rho, "--out", QString::fromStdString((tmp.path() / "bad").string())});
      QCOMPARE(r.code, 1);
      QCOMPARE(r.err, message);
    }
    r = run(base + QStringList{"--rho", "0.1", "--out", QString::fromStdString((tmp.path() / "bad").string())});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("is at or below the forward pass's share of full fine-tuning"), qPrintable(r.err));
    r = run({"train", "--model", QString::fromStdString(model.string()), "--data", "/nonexistent.jsonl", "--out",
             QString::fromStdString((tmp.path() / "x").string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: /nonexistent.jsonl: dataset file not found\n"));
  }

  void tokenizerTrainAndPretrainFromTheCli() {
    test::TempDir tmp;
    test::writeFile(tmp.path() / "text.txt", "the cat sat on the mat\nthe dog sat on the log\n");
    auto r = run({"tokenizer", "train", "--input", QString::fromStdString((tmp.path() / "text.txt").string()), "--vocab-size", "270",
                  "--out", QString::fromStdString((tmp.path() / "tok").string())});
    QCOMPARE(r.code, 0);
    // 12 pre-tokenised words, 8 distinct (the, Ġcat, Ġsat, Ġon, Ġthe, Ġmat, Ġdog, Ġlog); merging stops
    // before 270 tokens because no pair is left that occurs twice.
    QVERIFY2(r.out.contains(" on 12 words, 8 distinct\n"), qPrintable(r.out));
    r = run({"tokenize", QString::fromStdString((tmp.path() / "tok").string()), "--text", "the", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(parse(r.out)["tokens"], nlohmann::json::parse(R"(["the"])"));  // t-h and h-e occur 4 times each
    r = run({"tokenizer", "train", "--input", QString::fromStdString((tmp.path() / "text.txt").string()), "--vocab-size", "10", "--out",
             QString::fromStdString((tmp.path() / "tok2").string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --vocab-size must be at least 257 (256 byte symbols + 1 special tokens)\n"));
    r = run({"pretrain", "--config", "/nonexistent/config.json", "--tokenizer", QString::fromStdString((tmp.path() / "tok").string()),
             "--data", QString::fromStdString((tmp.path() / "text.txt").string()), "--out", QString::fromStdString((tmp.path() / "pt").string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: /nonexistent/config.json: config.json not found\n"));
    r = run({"pretrain", "--config", "/nonexistent/config.json", "--tokenizer", QString::fromStdString((tmp.path() / "tok").string()),
             "--data", QString::fromStdString((tmp.path() / "text.txt").string()), "--out", QString::fromStdString((tmp.path() / "pt").string()),
             "--device", "gpu"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: --device: expected cpu or cuda[:N], got 'gpu'\n"));
  }

  // compare: two hand-made records (Full FT: 2 PFLOPs, 100 s; GT-0.5: 0.9 + 0.1 importance PFLOPs, 55 s).
  void compareTabulatesRecords() {
    const auto full = test::fixture("records/full"), gtRun = test::fixture("records/gt-0.5");
    if (full.empty() || gtRun.empty()) QSKIP("record fixtures not found");
    test::TempDir tmp;
    const auto csv = tmp.path() / "table.csv";
    auto r = run({"compare", QString::fromStdString(full.string()), QString::fromStdString(gtRun.string()), "--markdown", "--csv",
                  QString::fromStdString(csv.string())});
    QCOMPARE(r.code, 0);
    const auto lines = r.out.split('\n');
    QCOMPARE(lines[0], QString("| run | method | rho | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L |"));
    QCOMPARE(lines[2], QString("| full | Full FT | - | 2.0000 | 100.0 | 100.0 | 100.0 | 30.00 | 12.00 | 28.00 |"));
    QCOMPARE(lines[3], QString("| gt-0.5 | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 |"));
    QCOMPARE(QString::fromStdString(test::readFile(csv)),
             QString("run,method,rho,pflops,flops_percent,seconds,time_percent,rouge1,rouge2,rougeL\n"
                     "full,Full FT,,2.000000,100.00,100.00,100.00,30.00,12.00,28.00\n"
                     "gt-0.5,GreenTrainer,0.50,1.000000,50.00,55.00,55.00,29.00,11.00,27.00\n"));
    // A baseline that did not finish, or a run of another model, is refused unless --allow-mixed, then marked.
    auto edited = [&](const fs::path& from, const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
      nlohmann::json j = nlohmann::json::parse(test::readFile(from / "run.json"));
      edit(j);
      fs::create_directories(tmp.path() / name);
      test::writeFile(tmp.path() / name / "run.json", j.dump());
      return QString::fromStdString((tmp.path() / name).string());
    };
    const QString cancelled = edited(full, "full-cancelled", [](nlohmann::json& j) { j["status"] = "cancelled"; });
    const QString other = edited(gtRun, "gt-opt", [](nlohmann::json& j) { j["model"]["model_type"] = "opt"; });
    r = run({"compare", cancelled, QString::fromStdString(gtRun.string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: full-cancelled: the Full FT baseline did not finish (status cancelled); pass --allow-mixed to compare "
                            "against it anyway\n"));
    r = run({"compare", QString::fromStdString(full.string()), other});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: gt-opt: trained another model (opt) than the Full FT baseline full (llama); pass --allow-mixed to "
                            "compare them anyway\n"));
    r = run({"compare", cancelled, other, "--allow-mixed", "--markdown"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.split('\n')[0], QString("| run | method | rho | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L | note |"));
    QCOMPARE(r.out.split('\n')[2], QString("| full-cancelled | Full FT | - | 2.0000 | 100.0 | 100.0 | 100.0 | 30.00 | 12.00 | 28.00 | cancelled |"));
    QCOMPARE(r.out.split('\n')[3], QString("| gt-opt | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | other model |"));

    // A run in another precision or on another device than the baseline is marked: its time % does not compare.
    const QString bf16 = edited(gtRun, "gt-bf16", [](nlohmann::json& j) {
      j["precision"] = "bf16-mixed";
      j["device"] = {{"name", "NVIDIA H200"}, {"peak_flops", 0.0}};
    });
    r = run({"compare", QString::fromStdString(full.string()), bf16, "--markdown"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out.split('\n')[3],
             QString("| gt-bf16 | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | precision bf16-mixed, device NVIDIA H200 |"));

    // MFU: records that know their device's peak (1e14 FLOP/s here) get an "MFU %" column: the steps'
    // FLOPs over their synchronised time: Full FT 2e15 / 80 s = 25%, GT 0.9e15 / 50 s = 18%.
    auto timed = [&](const fs::path& from, const std::string& name, double forwardMs) {
      return edited(from, name, [&](nlohmann::json& j) {
        j["device"] = {{"name", "NVIDIA H100 80GB HBM3"}, {"peak_flops", 1e14}};
        j["steps"] = nlohmann::json::array({{{"step", 0}, {"epoch", 0}, {"loss", 1.0}, {"lr", 1e-5}, {"flops", 1.0}, {"flops_full", 1.0},
                                             {"tokens", 8}, {"batch", 1}, {"seq", 8}, {"forward_ms", forwardMs}, {"backward_ms", 25000.0},
                                             {"optimizer_ms", 5000.0}, {"skipped", false}}});
      });
    };
    r = run({"compare", timed(full, "full-h100", 50000), timed(gtRun, "gt-h100", 20000), "--markdown"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out.split('\n')[0], QString("| run | method | rho | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L | MFU % |"));
    QCOMPARE(r.out.split('\n')[2], QString("| full-h100 | Full FT | - | 2.0000 | 100.0 | 100.0 | 100.0 | 30.00 | 12.00 | 28.00 | 25.0 |"));
    QCOMPARE(r.out.split('\n')[3], QString("| gt-h100 | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | 18.0 |"));

    // Energy: records that measured theirs get "energy (kJ)" and "energy %" (of Full FT's, on the
    // same device only): Full FT 2000 J, GT 1100 J = 55.0%; a GT run on another device has no %.
    auto measured = [&](const fs::path& from, const std::string& name, double joules, const std::string& device) {
      return edited(from, name, [&](nlohmann::json& j) {
        j["device"] = {{"name", device}, {"peak_flops", 0.0}};
        j["energy"] = {{"joules", joules}, {"sources", nlohmann::json::array({{{"name", "RAPL package-0"}, {"joules", joules}}})}, {"note", ""}};
      });
    };
    const QStringList energyRuns = {measured(full, "full-e", 2000, "cpu x"), measured(gtRun, "gt-e", 1100, "cpu x"),
                                    measured(gtRun, "gt-other", 900, "cpu y"), edited(gtRun, "gt-none", [](nlohmann::json& j) {
                                      j["device"] = {{"name", "cpu x"}, {"peak_flops", 0.0}};
                                    })};
    r = run(QStringList{"compare", "--markdown", "--csv", QString::fromStdString(csv.string())} + energyRuns);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out.split('\n')[0],
             QString("| run | method | rho | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L | energy (kJ) | energy % | note |"));
    QCOMPARE(r.out.split('\n')[2], QString("| full-e | Full FT | - | 2.0000 | 100.0 | 100.0 | 100.0 | 30.00 | 12.00 | 28.00 | 2.00 | 100.0 | - |"));
    QCOMPARE(r.out.split('\n')[3], QString("| gt-e | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | 1.10 | 55.0 | - |"));
    QCOMPARE(r.out.split('\n')[4],
             QString("| gt-other | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | 0.90 | - | device cpu y |"));
    QCOMPARE(r.out.split('\n')[5], QString("| gt-none | GreenTrainer | 0.50 | 1.0000 | 50.0 | 55.0 | 55.0 | 29.00 | 11.00 | 27.00 | - | - | - |"));
    QCOMPARE(QString::fromStdString(test::readFile(csv)).split('\n')[0],
             QString("run,method,rho,pflops,flops_percent,seconds,time_percent,rouge1,rouge2,rougeL,energy_kj,energy_percent,note"));
    QCOMPARE(QString::fromStdString(test::readFile(csv)).split('\n')[2], QString("gt-e,GreenTrainer,0.50,1.000000,50.00,55.00,55.00,29.00,11.00,27.00,1.100,55.00,"));
    // Grouped: GT 1100 J and 1300 J on Full FT's 2000 J: 1.20 ± 0.14 kJ, 60.0 ± 7.1 %.
    r = run({"compare", "--group", measured(full, "full-e-seed1", 2000, "cpu x"), measured(gtRun, "gt-e-seed1", 1100, "cpu x"),
             measured(gtRun, "gt-e-seed2", 1300, "cpu x")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(r.out.split('\n')[0],
             QString("| runs | method | rho | n | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L | energy (kJ) | energy % |"));
    QCOMPARE(r.out.split('\n')[3], QString("| gt-e | GreenTrainer | 0.50 | 2 | 1.0000 ± 0.0000 | 50.0 ± 0.0 | 55.0 ± 0.0 | 55.0 ± 0.0 | 29.00 ± 0.00 | "
                                           "11.00 ± 0.00 | 27.00 ± 0.00 | 1.20 ± 0.14 | 60.0 ± 7.1 |"));

    // --group: seeded repeats (NAME-seedN) as one row, mean ± sample sd, worked by hand:
    // Full FT wall 100/110 s, ROUGE-L 28/29; GT-0.5 wall 55/65/60 s, ROUGE-L 27/25/26.
    auto seeded = [&](const fs::path& from, const std::string& name, double wall, double rougeL) {
      return edited(from, name, [&](nlohmann::json& j) {
        j["totals"]["wall_seconds"] = wall;
        j["generation_evals"][0]["rougeL"] = rougeL;
        if (from == full) j["generation_evals"][0]["rouge1"] = 0.30 + (wall - 100) / 1000;
      });
    };
    const QStringList groupRuns = {seeded(full, "full-seed1", 100, 0.28), seeded(full, "full-seed2", 110, 0.29), seeded(gtRun, "gt-0.5-seed1", 55, 0.27),
                                   seeded(gtRun, "gt-0.5-seed2", 65, 0.25), seeded(gtRun, "gt-0.5-s3", 60, 0.26)};
    r = run(QStringList{"compare", "--group"} + groupRuns);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto g = r.out.split('\n');
    QCOMPARE(g[0], QString("| runs | method | rho | n | PFLOPs | FLOPs % | time (s) | time % | ROUGE-1 | ROUGE-2 | ROUGE-L |"));
    QCOMPARE(g[2], QString("| full | Full FT | - | 2 | 2.0000 ± 0.0000 | 100.0 ± 0.0 | 105.0 ± 7.1 | 105.0 ± 7.1 | 30.50 ± 0.71 | 12.00 ± 0.00 | "
                           "28.50 ± 0.71 |"));
    QCOMPARE(g[3], QString("| gt-0.5 | GreenTrainer | 0.50 | 3 | 1.0000 ± 0.0000 | 50.0 ± 0.0 | 60.0 ± 5.0 | 60.0 ± 5.0 | 29.00 ± 0.00 | 11.00 ± 0.00 | "
                           "26.00 ± 1.00 |"));
    QCOMPARE(g.size(), qsizetype(5));

    auto bad = run({"compare", QString::fromStdString((tmp.path() / "nothing").string())});
    QCOMPARE(bad.code, 1);
    QCOMPARE(bad.err.trimmed(), QString::fromStdString("error: " + (tmp.path() / "nothing").string() + ": no run record (expected RUN_DIR/run.json)"));
  }

  // `selections` on a hand-made record, every figure worked by hand. T_fp 30, T_full 100, rho 0.5:
  // backward budget 20. Chain (dw, reach): norm (1, 5), layer 1 down (4, 6), up (4, 10), q (1, 14),
  // layer 0 down (4, 18), embedding (0, 40): the first four fit the budget alone (reach + dw <= 20).
  // Selection 1 takes norm, down 1, up 1: reach 10 (50%), dw 9 (45%); positive importance 0.9 of
  // 2.3 (39.1%); the most important tensor, layer 0's down (1.0), costs 22 alone (110%). Selection 2
  // takes down 1 and q 1: reach 14 (70%), dw 5 (25%); 1.3 of 1.7 (76.5%); Jaccard 1/4 with the first.
  // Parameters: norm 4, down 1 32, up 1 32, q 1 16, down 0 32, embedding 40 = 156; the run has 40
  // steps, so selection 1 (68 parameters) is in force for steps 0-24 and selection 2 (48) for 25-39:
  // (68 * 25 + 48 * 15) / (156 * 40) = 2420 / 6240 = 38.8% of Full FT's parameter updates.
  void selectionsExplainGreenTrainerChoices() {
    const auto gtRun = test::fixture("records/gt-0.5");
    if (gtRun.empty()) QSKIP("record fixtures not found");
    test::TempDir tmp;
    nlohmann::json j = nlohmann::json::parse(test::readFile(gtRun / "run.json"));
    j["reference_shape"] = {{"batch", 2}, {"seq", 8}, {"t_fp", 30.0}, {"t_full", 100.0}};
    const std::vector<std::tuple<std::string, double, double, std::vector<int>>> chain = {
        {"model.norm.weight", 1, 5, {4}},
        {"model.layers.1.mlp.down_proj.weight", 4, 6, {4, 8}},
        {"model.layers.1.mlp.up_proj.weight", 4, 10, {8, 4}},
        {"model.layers.1.self_attn.q_proj.weight", 1, 14, {4, 4}},
        {"model.layers.0.mlp.down_proj.weight", 4, 18, {4, 8}},
        {"model.embed_tokens.weight", 0, 40, {10, 4}}};
    j["tensors"] = nlohmann::json::array();
    for (const auto& [name, dw, reach, shape] : chain) j["tensors"].push_back({{"name", name}, {"shape", shape}, {"dw", dw}, {"reach", reach}});
    j["steps"] = nlohmann::json::array();
    for (int step = 0; step < 40; ++step)
      j["steps"].push_back({{"step", step}, {"epoch", step / 25}, {"loss", 1.0}, {"lr", 1e-4}, {"flops", 50.0}, {"flops_full", 100.0},
                            {"tokens", 16}, {"batch", 2}, {"seq", 8}, {"forward_ms", 1.0}, {"backward_ms", 1.0}, {"optimizer_ms", 1.0}});
    auto selection = [](int epoch, int step, std::vector<std::string> selected, std::vector<double> importance) {
      return nlohmann::json{{"epoch", epoch}, {"step", step}, {"rho", 0.5}, {"selected", selected}, {"importance_raw", importance},
                            {"importance_scaled", importance}, {"predicted_fraction", 0.5}, {"importance_ms", 1.0}, {"selection_ms", 0.1},
                            {"importance_peak_bytes", -1}, {"cutoff", 4}, {"importance_flops", 1.0}};
    };
    j["selections"] = {selection(0, 0, {"model.norm.weight", "model.layers.1.mlp.down_proj.weight", "model.layers.1.mlp.up_proj.weight"},
                                 {0.1, 0.5, 0.3, -0.2, 1.0, 0.4}),
                       selection(1, 25, {"model.layers.1.mlp.down_proj.weight", "model.layers.1.self_attn.q_proj.weight"},
                                 {0.3, 1.0, 0.1, 0.3, 0.0, 0.0})};
    fs::create_directories(tmp.path() / "sel-run");
    test::writeFile(tmp.path() / "sel-run" / "run.json", j.dump());
    const QString dir = QString::fromStdString((tmp.path() / "sel-run").string());

    auto r = run({"selections", dir});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto lines = r.out.split('\n');
    QCOMPARE(lines[0], QString("sel-run: 2 selections over 6 tensors; a step's forward pass is 0.300 of Full FT's FLOPs, so the backward "
                               "budget is rho - 0.300 (costs at the reference shape 2 x 8)."));
    QCOMPARE(lines[2], QString("| # | epoch | step | rho | tensors | layers | reachable layers | importance taken | reach | dw | unused | most "
                               "important tensor | Jaccard |"));
    QCOMPARE(lines[4], QString("| 1 | 1 | 0 | 0.50 | 3 | 1 | from 1 | 39.1% | 50.0% | 45.0% | 5.0% | model.layers.0.mlp.down_proj.weight "
                               "(left: alone 110.0% of the budget) | - |"));
    QCOMPARE(lines[5], QString("| 2 | 2 | 25 | 0.50 | 2 | 1 | from 1 | 76.5% | 70.0% | 25.0% | 5.0% | model.layers.1.mlp.down_proj.weight "
                               "(taken) | 0.25 |"));
    // Means: taken of all (39.1% + 76.5%) / 2; of the tensors that fit alone (0.9/0.9 + 1.3/1.7) / 2.
    QCOMPARE(lines[7], QString("Distinct tensors trained: 4 of 6. The most important tensor was taken in 1 of 2 selections. Importance taken, "
                               "mean: 57.8% of all, 88.2% of the tensors that fit the budget alone; mean Jaccard index between consecutive "
                               "selections: 0.25."));
    QCOMPARE(lines[8], QString("Parameter updates: 38.8% of Full FT's (the chosen tensors' parameters times the steps each selection was in "
                               "force, over all 6 tensors' parameters times 40 steps)."));

    r = run({"selections", dir, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto report = nlohmann::json::parse(r.out.toStdString());
    QCOMPARE(report[0]["distinct_tensors_trained"].get<int>(), 4);
    const auto& first = report[0]["selections"][0];
    QCOMPARE(first["layers"], nlohmann::json::array({1}));
    QCOMPARE(first["deepest_reachable_layer"].get<int>(), 1);
    QVERIFY(std::abs(first["backward_budget"].get<double>() - 0.2) < 1e-12);
    QVERIFY(std::abs(first["reach_share"].get<double>() - 0.5) < 1e-12);
    QVERIFY(std::abs(first["dw_share"].get<double>() - 0.45) < 1e-12);
    QVERIFY(std::abs(first["most_important_cost"].get<double>() - 1.1) < 1e-12);
    QVERIFY(first["jaccard_previous"].is_null());
    QVERIFY(std::abs(first["parameter_share"].get<double>() - 68.0 / 156.0) < 1e-12);
    QCOMPARE(first["steps_in_force"].get<int>(), 25);
    QCOMPARE(report[0]["selections"][1]["steps_in_force"].get<int>(), 15);
    QCOMPARE(report[0]["steps"].get<int>(), 40);
    QVERIFY(std::abs(report[0]["parameter_updates"].get<double>() - 2420.0 / 6240.0) < 1e-12);

    // A run cancelled after 20 steps, before its second selection took effect: selection 1 counts 20
    // steps, selection 2 none: 68 * 20 / (156 * 20) = 43.6%.
    {
      nlohmann::json cancelled = j;
      cancelled["steps"].erase(cancelled["steps"].begin() + 20, cancelled["steps"].end());
      test::writeFile(tmp.path() / "sel-run" / "run.json", cancelled.dump());
      r = run({"selections", dir});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      QCOMPARE(r.out.split('\n')[8], QString("Parameter updates: 43.6% of Full FT's (the chosen tensors' parameters times the steps each "
                                             "selection was in force, over all 6 tensors' parameters times 20 steps)."));
      test::writeFile(tmp.path() / "sel-run" / "run.json", j.dump());
    }

    // Not a GreenTrainer run, and a selection naming a tensor the record does not list: named errors.
    r = run({"selections", QString::fromStdString(test::fixture("records/full").string())});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: full: a --method full run makes no GreenTrainer selections (this report explains --method gt runs)\n"));
    j["selections"][1]["selected"][1] = "model.layers.9.mlp.up_proj.weight";
    test::writeFile(tmp.path() / "sel-run" / "run.json", j.dump());
    r = run({"selections", dir});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QString("error: sel-run: selection at step 25 names 'model.layers.9.mlp.up_proj.weight', which is not in its tensor list\n"));
    auto refused = [&](const std::function<void(nlohmann::json&)>& edit) {
      nlohmann::json bad = j;
      edit(bad);
      test::writeFile(tmp.path() / "sel-run" / "run.json", bad.dump());
      const auto result = run({"selections", dir});
      return result.code == 1 ? result.err : QString("exit code %1").arg(result.code);
    };
    QCOMPARE(refused([](nlohmann::json& b) { b["selections"][0]["importance_scaled"] = {1.0, 0.5}; }),
             QString("error: sel-run: selection at step 0 has 2 importance values for 6 tensors\n"));
    QCOMPARE(refused([](nlohmann::json& b) { b["selections"] = nlohmann::json::array(); }),
             QString("error: sel-run: the record has no selections (the run stopped before its first one)\n"));
    QCOMPARE(refused([](nlohmann::json& b) { b["reference_shape"]["t_full"] = 0.0; }),
             QString("error: sel-run: reference_shape.t_full must be positive\n"));
  }

  // `eval` end to end on the demo model (batched beam search with the repetition penalty, stemmed
  // ROUGE) against the same thing done by hand with separate commands: `tokenize` the prompt,
  // `generate` from its ids one prompt at a time, `tokenize --decode` the new tokens, `rouge`.
  void evalAgreesWithGenerateAndRouge() {
    const fs::path demo = fs::path(GT_TEST_FIXTURES).parent_path().parent_path() / "resources" / "demo";
    QVERIFY(fs::exists(demo / "model" / "config.json"));
    test::TempDir tmp;
    std::vector<nlohmann::json> rows;
    {
      std::ifstream in(demo / "debian-descriptions.jsonl");
      std::string line;
      while (rows.size() < 6 && std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        if (j["split"] == "test" && line.size() < 450) rows.push_back({{"source", j["source"]}, {"target", j["target"]}});
      }
    }
    QCOMPARE(rows.size(), size_t(6));
    std::string data;
    for (const auto& r : rows) data += r.dump() + "\n";
    test::writeFile(tmp.path() / "rows.jsonl", data);
    const QString model = QString::fromStdString((demo / "model").string());
    const QStringList search = {"--beams", "2", "--repetition-penalty", "2.5", "--max-new-tokens", "12"};
    auto r = run(QStringList{"eval", "--model", model, "--data", QString::fromStdString((tmp.path() / "rows.jsonl").string()), "--split", "", "--batch-size", "4",
                             "--stem", "--json", "--predictions", QString::fromStdString((tmp.path() / "p.jsonl").string())} + search);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const auto scores = parse(r.out);
    const auto predictions = test::readJsonl(tmp.path() / "p.jsonl");
    QCOMPARE(predictions.size(), rows.size());
    QVERIFY2(scores["rougeL"].get<double>() > 0, "no overlap at all: the comparison would be weak");
    const int64_t eos = nlohmann::json::parse(test::readFile(demo / "model" / "config.json"))["eos_token_id"].get<int64_t>();
    std::string pairs;
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string prompt = rows[i]["source"].get<std::string>() + " TL;DR: ";  // the default template up to {target}
      auto t = run({"tokenize", model, "--text", QString::fromStdString(prompt), "--json"});
      QCOMPARE(t.code, 0);
      const auto promptIds = parse(t.out)["ids"].get<std::vector<int64_t>>();
      QStringList ids;
      for (int64_t id : promptIds) ids << QString::number(id);
      auto g = run(QStringList{"generate", model, "--input-ids", ids.join(','), "--json"} + search);
      QVERIFY2(g.code == 0, qPrintable(g.err));
      auto out = parse(g.out)["ids"].get<std::vector<int64_t>>();
      std::vector<int64_t> fresh(out.begin() + long(promptIds.size()), out.end());
      if (!fresh.empty() && fresh.back() == eos) fresh.pop_back();
      QString text;
      if (!fresh.empty()) {
        QStringList f;
        for (int64_t id : fresh) f << QString::number(id);
        auto d = run({"tokenize", model, "--decode", f.join(','), "--json"});
        QCOMPARE(d.code, 0);
        text = QString::fromStdString(parse(d.out)["text"].get<std::string>()).trimmed();
      }
      QCOMPARE(QString::fromStdString(predictions[i]["prediction"].get<std::string>()), text);
      QCOMPARE(QString::fromStdString(predictions[i]["reference"].get<std::string>()), QString::fromStdString(rows[i]["target"].get<std::string>()));
      pairs += nlohmann::json({{"prediction", text.toStdString()}, {"reference", rows[i]["target"]}}).dump() + "\n";
    }
    test::writeFile(tmp.path() / "pairs.jsonl", pairs);
    auto rouge = run({"rouge", "--pairs", QString::fromStdString((tmp.path() / "pairs.jsonl").string()), "--stem", "--json"});
    QCOMPARE(rouge.code, 0);
    const auto mean = parse(rouge.out)["mean"];
    for (const char* k : {"rouge1", "rouge2", "rougeL"}) QCOMPARE(mean[k].get<double>(), scores[k].get<double>());
  }

  // Adapters through the CLI: `eval --adapter RUN/adapter` (LoRA) and `--adapter RUN/prefix` give
  // exactly the predictions the training run itself wrote for the same split and settings.
  void evalWithAdaptersMatchesTheRun() {
    const fs::path opt = test::fixture("models/opt"), tok = test::fixture("tokenizers/bytes-only"), data = test::fixture("data/tiny.jsonl");
    test::TempDir tmp;
    for (const std::string method : {"lora", "prefix"}) {
      const fs::path out = tmp.path() / method;
      auto t = run({"train", "--model", QString::fromStdString(opt.string()), "--tokenizer", QString::fromStdString(tok.string()), "--data",
                    QString::fromStdString(data.string()), "--split", "train", "--method", QString::fromStdString(method), "--epochs", "2",
                    "--lr", "1e-2", "--max-length", "100", "--generate-split", "valid", "--eval-beams", "2", "--eval-max-new-tokens", "8",
                    "--out", QString::fromStdString(out.string())});
      QVERIFY2(t.code == 0, qPrintable(t.err));
      const fs::path adapter = out / (method == "lora" ? "adapter" : "prefix");
      auto e = run({"eval", "--model", QString::fromStdString(opt.string()), "--tokenizer", QString::fromStdString(tok.string()), "--adapter",
                    QString::fromStdString(adapter.string()), "--data", QString::fromStdString(data.string()), "--split", "valid", "--beams", "2",
                    "--repetition-penalty", "2.5", "--max-new-tokens", "8", "--max-length", "100", "--predictions",
                    QString::fromStdString((tmp.path() / (method + ".jsonl")).string())});
      QVERIFY2(e.code == 0, qPrintable(e.err));
      const auto ours = test::readJsonl(tmp.path() / (method + ".jsonl")), theirs = test::readJsonl(out / "predictions.jsonl");
      QCOMPARE(ours.size(), theirs.size());
      for (size_t i = 0; i < ours.size(); ++i) QCOMPARE(ours[i]["prediction"], theirs[i]["prediction"]);
      // At eval's default --max-length (512) the 128-position model still evaluates a 300-byte source: it is cut to the positions.
      test::writeFile(tmp.path() / "long.jsonl", nlohmann::json({{"source", std::string(300, 'a')}, {"target", "b"}}).dump() + "\n");
      // With the adapter: a prefix's 20 virtual tokens take positions too.
      const auto longRun = run({"eval", "--model", QString::fromStdString(opt.string()), "--tokenizer", QString::fromStdString(tok.string()), "--adapter",
                                QString::fromStdString(adapter.string()), "--data", QString::fromStdString((tmp.path() / "long.jsonl").string()),
                                "--split", "", "--beams", "2", "--max-new-tokens", "8"});
      QVERIFY2(longRun.code == 0, qPrintable(longRun.err));
      // The base model without the adapter predicts something else.
      auto base = run({"eval", "--model", QString::fromStdString(opt.string()), "--tokenizer", QString::fromStdString(tok.string()), "--data",
                       QString::fromStdString(data.string()), "--split", "valid", "--beams", "2", "--repetition-penalty", "2.5", "--max-new-tokens",
                       "8", "--max-length", "100", "--predictions", QString::fromStdString((tmp.path() / "base.jsonl").string())});
      QCOMPARE(base.code, 0);
      QVERIFY2(test::readJsonl(tmp.path() / "base.jsonl")[0]["prediction"] != ours[0]["prediction"] ||
                   test::readJsonl(tmp.path() / "base.jsonl")[1]["prediction"] != ours[1]["prediction"],
               "the adapter changed nothing: the comparison would be empty");
    }
  }

  void rougeAndEvalCommands() {
    test::TempDir tmp;
    const auto pairs = tmp.path() / "pairs.jsonl";
    // Scores worked by hand: "the cat sat" vs "the cat ran": 2 of 3 unigrams, 1 of 2 bigrams, LCS 2.
    test::writeFile(pairs, "{\"prediction\": \"the cat sat\", \"reference\": \"the cat ran\"}\n"
                           "{\"prediction\": \"\", \"reference\": \"x\"}\n");
    auto r = run({"rouge", "--pairs", QString::fromStdString(pairs.string()), "--json"});
    QCOMPARE(r.code, 0);
    const auto j = parse(r.out);
    QCOMPARE(j["pairs"].get<int>(), 2);
    QVERIFY(std::abs(j["rows"][0]["rouge1"].get<double>() - 2.0 / 3.0) < 1e-12);
    QVERIFY(std::abs(j["rows"][0]["rouge2"].get<double>() - 0.5) < 1e-12);
    QVERIFY(std::abs(j["mean"]["rougeL"].get<double>() - 1.0 / 3.0) < 1e-12);
    test::writeFile(pairs, "{\"prediction\": \"a\"}\n");
    auto bad = run({"rouge", "--pairs", QString::fromStdString(pairs.string())});
    QCOMPARE(bad.code, 1);
    QCOMPARE(bad.err.trimmed(), QString::fromStdString("error: " + pairs.string() + ":1: expected a string field \"reference\""));

    const auto model = test::fixture("models/llama-gqa-tied"), tok = test::fixture("tokenizers/bytes-only"),
               data = test::fixture("data/tiny.jsonl");
    if (model.empty() || tok.empty() || data.empty()) QSKIP("fixtures not found");
    const auto preds = tmp.path() / "preds.jsonl";
    auto e = run({"eval", "--model", QString::fromStdString(model.string()), "--tokenizer", QString::fromStdString(tok.string()), "--data",
                  QString::fromStdString(data.string()), "--split", "valid", "--max-new-tokens", "4", "--predictions",
                  QString::fromStdString(preds.string()), "--json"});
    QCOMPARE(e.code, 0);
    const auto ej = parse(e.out);
    QCOMPARE(ej["examples"].get<int>(), 2);
    const auto rows = test::readJsonl(preds);
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows[1]["reference"].get<std::string>(), test::readJsonl(data).back()["target"].get<std::string>());
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
