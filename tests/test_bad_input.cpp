// Hostile but realistic input through the CLI, one row per case (issue 13): each must end in a
// named error before any work — exit 1 (2 for usage errors), the exact message — and leave no run
// folder behind. Damaged copies of the OPT fixture are made in a temporary folder.
#include <QtTest/QtTest>

#include <QProcess>
#include <cstring>
#include <fstream>

#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

using Result = test::CliResult;
Result run(const QStringList& args) { return test::runCli(args); }

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

// A copy of a model fixture (OPT unless named) with config.json edited.
fs::path optWith(const fs::path& dir, const std::string& name, const std::function<void(nlohmann::json&)>& edit,
                 const std::string& fixture = "models/opt") {
  const fs::path out = dir / name;
  fs::create_directories(out);
  for (const auto& e : fs::directory_iterator(test::fixture(fixture))) fs::copy_file(e.path(), out / e.path().filename());
  nlohmann::json config = nlohmann::json::parse(test::readFile(out / "config.json"));
  edit(config);
  test::writeFile(out / "config.json", config.dump(2));
  return out;
}

}  // namespace

class TestBadInput : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { QVERIFY2(!test::fixture("models/opt").empty(), "fixture models/opt not found"); }

  void refusedWithNamedErrors() {
    test::TempDir tmp;
    const fs::path opt = test::fixture("models/opt"), tok = test::fixture("tokenizers/bytes-only"), data = test::fixture("data/tiny.jsonl");
    const fs::path out = tmp.path() / "run";
    auto trainOn = [&](const fs::path& model, const fs::path& dataset, const QStringList& extra) {
      return QStringList{"train", "--model", q(model), "--tokenizer", q(tok), "--data", q(dataset), "--epochs", "1", "--max-length", "100",
                         "--out", q(out)} +
             extra;
    };
    auto train = [&](const fs::path& model, const QStringList& extra) { return trainOn(model, data, QStringList{"--split", "train"} + extra); };
    auto config = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
      const fs::path m = optWith(tmp.path(), name, edit);
      return std::make_pair(m, (m / "config.json").string());
    };
    const auto [eosModel, eosConfig] = config("eos", [](nlohmann::json& j) { j["eos_token_id"] = -7; });
    const auto [padModel, padConfig] = config("pad", [](nlohmann::json& j) { j["pad_token_id"] = 99999; });
    const auto [hugeModel, hugeConfig] = config("huge", [](nlohmann::json& j) { j["vocab_size"] = 1000000000000; });
    const auto [typeModel, typeConfig] = config("type", [](nlohmann::json& j) { j["hidden_size"] = "abc"; });
    const auto [ffnModel, ffnConfig] = config("ffn", [](nlohmann::json& j) { j["ffn_dim"] = 100000000000; });
    const fs::path epsModel = optWith(tmp.path(), "eps", [](nlohmann::json& j) { j["rms_norm_eps"] = -1; }, "models/llama-gqa-tied");
    // select problems: a fractional tq, a tensor name that is not a string.
    const fs::path badTq = tmp.path() / "tq.json", badName = tmp.path() / "name.json";
    test::writeFile(badTq, R"({"t_fp": 1, "t_full": 4, "rho": 0.8, "tq": 1.5, "tensors": [{"name": "a", "dw": 1, "reach": 1, "importance": 1}]})");
    test::writeFile(badName, R"({"t_fp": 1, "t_full": 4, "rho": 0.8, "tensors": [{"name": 5, "dw": 1, "reach": 1, "importance": 1}]})");

    // NaN weights: one float of the q projection overwritten in place.
    const fs::path nanModel = optWith(tmp.path(), "nan", [](nlohmann::json&) {});
    {
      std::string bytes = test::readFile(nanModel / "model.safetensors");
      uint64_t headerLen = 0;
      std::memcpy(&headerLen, bytes.data(), 8);
      const auto header = nlohmann::json::parse(bytes.substr(8, headerLen));
      const uint64_t begin = header["model.decoder.layers.0.self_attn.q_proj.weight"]["data_offsets"][0].get<uint64_t>();
      const float nan = std::nanf("");
      std::memcpy(bytes.data() + 8 + headerLen + begin + 4 * 5, &nan, 4);
      test::writeFile(nanModel / "model.safetensors", bytes);
    }
    const std::string nanMessage = (nanModel / "model.safetensors").string() +
                                   ": tensor 'model.decoder.layers.0.self_attn.q_proj.weight' holds NaN or infinite values; the checkpoint is damaged";

    // T5: generation_config.json with an EOS id outside the vocabulary, and with an empty list.
    const fs::path t5 = test::fixture("models/t5-gated");
    const fs::path t5BadEos = optWith(tmp.path(), "t5-eos", [](nlohmann::json&) {}, "models/t5-gated");
    test::writeFile(t5BadEos / "generation_config.json", R"({"decoder_start_token_id": 0, "eos_token_id": 9999})");
    const fs::path t5NoEos = optWith(tmp.path(), "t5-no-eos", [](nlohmann::json&) {}, "models/t5-gated");
    test::writeFile(t5NoEos / "generation_config.json", R"({"decoder_start_token_id": 0, "eos_token_id": []})");
    const auto [deepModel, deepConfig] = config("deep", [](nlohmann::json& j) { j["num_hidden_layers"] = 10000000; });
    const std::string longPrompt(100000, 'a');  // 100,000 byte tokens + EOS: relative positions set no limit

    // CSV datasets: invalid UTF-8, a duplicate column.
    const fs::path badUtf8 = tmp.path() / "bad.csv", dupHeader = tmp.path() / "dup.csv";
    test::writeFile(badUtf8, "source,target\nfine,row\nbad \xff\xfe text,x\n");
    test::writeFile(dupHeader, "source,target,target\na,b,c\n");
    const fs::path record = tmp.path() / "record.json";
    test::writeFile(record, R"({"config": {}, "steps": []})");
    test::writeFile(tmp.path() / "afile", "x");

    struct Case {
      const char* name;
      QStringList args;
      int code;
      std::string message;  // stderr, exactly ("error: " + message + "\n"); a trailing '*' matches a prefix
    };
    const std::vector<Case> cases = {
        {"eos id below 0", train(eosModel, {}), 1, eosConfig + ": eos_token_id -7 is outside the vocabulary [0, 512)"},
        {"pad id beyond vocab", {"generate", q(padModel), "--input-ids", "1,2"}, 1, padConfig + ": pad_token_id 99999 is outside the vocabulary [0, 512)"},
        {"vocab of 1e12", train(hugeModel, {}), 1, hugeConfig + ": the model would need about 256000.0 GB of memory in float32*"},
        {"feed-forward size of 1e11", train(ffnModel, {}), 1,
         ffnConfig + ": the model would need about 102400.0 GB of memory in float32 (vocab_size 512, hidden size 64, 2 layers, "
                     "4 attention heads of 16, feed-forward size 100000000000); this machine has *"},
        {"wrong-typed config field", {"inspect", q(typeModel)}, 1, typeConfig + ": field 'hidden_size' must be an integer, got \"abc\""},
        {"negative norm epsilon", {"inspect", q(epsModel)}, 1,
         (epsModel / "config.json").string() +
             ": the normalisation epsilon (rms_norm_eps / layer_norm_epsilon) must be a positive number, got -1.000000"},
        {"fractional tq", {"select", q(badTq)}, 1, badTq.string() + ": 'tq' must be an integer in [10, 100000]"},
        {"tensor name not a string", {"select", q(badName)}, 1, badName.string() + ": tensors[0].'name' must be a string"},
        {"NaN weights: inspect", {"inspect", q(nanModel)}, 1, nanMessage},
        {"NaN weights: generate", {"generate", q(nanModel), "--input-ids", "1,2"}, 1, nanMessage},
        {"NaN weights: train", train(nanModel, {}), 1, nanMessage},
        {"float16 on the CPU", train(opt, {"--dtype", "float16"}), 1,
         "dtype float16 is not supported on the CPU (LibTorch has no float16 CPU kernels for LayerNorm); use float32 or bfloat16, or a CUDA device"},
        {"CUDA device absent", {"generate", q(opt), "--input-ids", "1,2", "--device", "cuda:7"}, 1,
         "device cuda:7: CUDA is not available (this LibTorch build or machine has no CUDA device); use --device cpu"},
        {"negative train examples", train(opt, {"--max-train-examples", "-5"}), 1,
         "max_train_examples (--max-train-examples): expected >= 0 (0: all rows), got -5"},
        {"too many threads", train(opt, {"--threads", "100000"}), 1, "--threads: 100000 is more than 4 x the *"},
        {"huge DP quantisation", train(opt, {"--solver", "paper", "--tq", "100000000"}), 1, "tq: expected at most 100000 quantisation steps, got 100000000"},
        {"generation longer than max length", train(opt, {"--generate-split", "valid", "--eval-max-new-tokens", "100"}), 1,
         "eval_max_new_tokens (--eval-max-new-tokens 100) must be less than max_length (--max-length 100): generation needs room for the prompt"},
        {"LoRA rank beyond the matrices", train(opt, {"--method", "lora", "--lora-rank", "100000"}), 1,
         "lora_rank (--lora-rank 100000) must be at most 64, the smaller side of model.decoder.layers.0.self_attn.q_proj (64 x 64)"},
        {"prefix beyond positions", train(opt, {"--method", "prefix", "--prefix-tokens", "100000"}), 1,
         "max_length 100 + prefix_tokens 100000 is longer than the model's 128 learned positions (" + (opt / "config.json").string() +
             "); lower --max-length or --prefix-tokens"},
        {"a run record as --config", train(opt, {"--config", q(record)}), 1,
         record.string() + ": this is a run record, not run settings; pass its settings with --config and a new --out, or continue that run "
                           "with --resume RUN_DIR"},
        {"--out is a file", {"train", "--model", q(opt), "--tokenizer", q(tok), "--data", q(data), "--out", q(tmp.path() / "afile")}, 1,
         (tmp.path() / "afile").string() + ": exists and is not a folder; expected a folder for the run"},
        {"--out is the model folder", {"train", "--model", q(opt), "--tokenizer", q(tok), "--data", q(data), "--out", q(opt)}, 1,
         opt.string() + ": the run folder must not be, contain or lie inside an input folder (" + opt.string() +
             "); a run would overwrite or mix with it. Choose another output folder"},
        {"CSV not UTF-8", trainOn(opt, badUtf8, {}), 1, badUtf8.string() + ":3: field 1 is not valid UTF-8 (save the file as UTF-8)"},
        {"CSV duplicate column", trainOn(opt, dupHeader, {}), 1, dupHeader.string() + ":1: column 'target' appears twice in the header"},
        {"NaN length penalty", {"generate", q(opt), "--input-ids", "1,2", "--length-penalty", "nan"}, 1, "generate: length_penalty must be a finite number"},
        {"generation past the positions", {"generate", q(opt), "--input-ids", "1,2", "--max-new-tokens", "100000"}, 1,
         "generate: the prompt (2 tokens) + max_new_tokens (100000) exceeds the model's 128 learned positions; lower --max-new-tokens or shorten the prompt"},
        {"decode an id outside the vocabulary", {"tokenize", q(tok), "--decode", "1,2,99999"}, 1,
         "--decode: token id 99999 is outside the vocabulary [0, 257) of " + tok.string()},
        {"endless line", {"rouge", "--pairs", "/dev/zero"}, 1, "/dev/zero:1: line longer than 64 MiB (expected one JSON object per line)"},
        {"fp16-true on the CPU", train(opt, {"--precision", "fp16-true"}), 1,
         "precision fp16-true: LibTorch has no float16 kernels for matmuls and LayerNorm on the CPU; use fp32, bf16-mixed or bf16-true, or a CUDA "
         "device"},
        {"EOS id outside the vocabulary in generation_config.json", {"generate", q(t5BadEos), "--input-ids", "5,6"}, 1,
         (t5BadEos / "generation_config.json").string() + ": eos_token_id 9999 is outside the vocabulary [0, 512)"},
        {"empty EOS list in generation_config.json", {"generate", q(t5NoEos), "--input-ids", "5,6"}, 1,
         (t5NoEos / "generation_config.json").string() + ": eos_token_id: expected an integer or a non-empty list of integers, got []"},
        {"tokenizer larger than the model's vocabulary", {"generate", q(t5), "--tokenizer", q(test::fixture("tokenizers/sentencepiece-4k")), "--prompt", "hi"},
         1, "tokenizer has 4096 tokens but the model's vocab_size is 512 (tokenizer and model do not belong together)"},
        {"prompt whose attention cannot fit in memory", {"generate", q(t5), "--tokenizer", q(tok), "--prompt", QString::fromStdString(longPrompt)}, 1,
         "generate: 1 sequence(s) of 100001 tokens would need about 480.0 GB for their attention scores (4 heads x 100001 x 100001 tokens, float32); "
         "this machine has *"},
        {"predictions file is a folder",
         {"eval", "--model", q(opt), "--tokenizer", q(tok), "--data", q(data), "--split", "valid", "--max-new-tokens", "2", "--predictions", q(tmp.path())},
         1, tmp.path().string() + ": is a folder; expected the name of a file to write"},
        {"layer count beyond any model", {"inspect", q(deepModel)}, 1,
         deepConfig + ": 10000000 layers is more than any model has (expected at most 10000); the layer count (num_hidden_layers / n_layer / "
                      "num_layers / num_decoder_layers) looks corrupt"},
        {"negative decoder length", {"profile", q(t5), "--decoder-seq", "-1"}, 1,
         "--decoder-seq: expected a positive length (target tokens per example), got -1"},
        {"negative example count", {"eval", "--model", q(opt), "--tokenizer", q(tok), "--data", q(data), "--max-examples", "-1"}, 1,
         "--max-examples: expected >= 0 (0: all rows), got -1"},
        // Refused before the run folder is made (the probe selection at the reference shape).
        {"brute-force solver on a model of more than 24 tensors", train(opt, {"--method", "gt", "--solver", "brute"}), 1,
         "solver 'brute' handles at most 24 tensors, got 36 (solver 'exact' gives the same selection)"},
    };
    for (const auto& c : cases) {
      const Result r = run(c.args);
      QVERIFY2(r.code == c.code, qPrintable(QString("%1: exit %2, stderr %3").arg(c.name).arg(r.code).arg(r.err)));
      const QString expected = "error: " + QString::fromStdString(c.message);
      if (expected.endsWith('*'))
        QVERIFY2(r.err.startsWith(expected.chopped(1)), qPrintable(QString("%1: %2").arg(c.name, r.err)));
      else
        QVERIFY2(r.err == expected + "\n", qPrintable(QString("%1:\n  got      %2  expected %3").arg(c.name, r.err, expected)));
      QVERIFY2(!r.err.contains("frame #"), c.name);
      QVERIFY2(!fs::exists(out), (std::string(c.name) + ": a refused run left its folder").c_str());
    }

    // Usage errors exit 2 with CLI11's message.
    for (const QStringList& args : {QStringList{"train", "--no-such-flag"}, QStringList{"train", "--seed", "-1"}, QStringList{"nosuchcommand"}}) {
      const Result r = run(args);
      QVERIFY2(r.code == 2, qPrintable(args.join(' ') + ": exit " + QString::number(r.code)));
    }
    QVERIFY(run({"train", "--seed", "-1"}).err.startsWith("--seed: expected a non-negative integer"));
  }

  // A prefix trained on one family is refused on another, even where the shapes agree.
  void prefixOfAnotherFamilyIsRefused() {
    test::TempDir tmp;
    const Result r = run({"train", "--model", q(test::fixture("models/opt")), "--tokenizer", q(test::fixture("tokenizers/bytes-only")), "--data",
                          q(test::fixture("data/tiny.jsonl")), "--split", "train", "--method", "prefix", "--epochs", "1", "--max-length", "100",
                          "--out", q(tmp.path() / "run")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const fs::path config = tmp.path() / "run" / "prefix" / "prefix_config.json";
    nlohmann::json j = nlohmann::json::parse(test::readFile(config));
    QCOMPARE(QString::fromStdString(j["model_type"].get<std::string>()), QString("opt"));
    QCOMPARE(run({"generate", q(test::fixture("models/opt")), "--input-ids", "1,2", "--adapter", q(tmp.path() / "run" / "prefix")}).code, 0);
    // Virtual tokens take learned positions too: 2 prompt + 110 new + 20 prefix > 128.
    const Result past = run({"generate", q(test::fixture("models/opt")), "--input-ids", "1,2", "--max-new-tokens", "110", "--adapter",
                             q(tmp.path() / "run" / "prefix")});
    QCOMPARE(past.code, 1);
    QCOMPARE(past.err, QString("error: generate: the prompt (2 tokens) + max_new_tokens (110) + the prefix's 20 virtual tokens exceeds the "
                               "model's 128 learned positions; lower --max-new-tokens or shorten the prompt\n"));
    j["model_type"] = "bloom";
    test::writeFile(config, j.dump());
    const Result bad = run({"generate", q(test::fixture("models/opt")), "--input-ids", "1,2", "--adapter", q(tmp.path() / "run" / "prefix")});
    QCOMPARE(bad.code, 1);
    QCOMPARE(bad.err, QString::fromStdString("error: " + config.string() + ": the prefix was trained on a bloom model; this model is opt\n"));
  }

  // A CSV exported with a byte-order mark trains like the same file without it.
  void csvByteOrderMarkIsNotAColumn() {
    test::TempDir tmp;
    test::writeFile(tmp.path() / "bom.csv", "\xEF\xBB\xBFsource,target\nsome long text here,short\nanother long text,tiny\n");
    const Result r = run({"train", "--model", q(test::fixture("models/opt")), "--tokenizer", q(test::fixture("tokenizers/bytes-only")), "--data",
                          q(tmp.path() / "bom.csv"), "--method", "full", "--epochs", "1", "--max-length", "64", "--no-save-model", "--out",
                          q(tmp.path() / "run")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("status: finished"));
  }

  // --tokenizer pointing at a tokenizer.json file: the saved model folder still gets the tokenizer.
  void tokenizerFileIsCopiedIntoTheModel() {
    test::TempDir tmp;
    const fs::path tokFile = test::fixture("tokenizers/bytes-only") / "tokenizer.json";
    QVERIFY(fs::exists(tokFile));
    const Result r = run({"train", "--model", q(test::fixture("models/opt")), "--tokenizer", q(tokFile), "--data", q(test::fixture("data/tiny.jsonl")),
                          "--split", "train", "--method", "full", "--epochs", "1", "--max-length", "100", "--out", q(tmp.path() / "run")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(test::readFile(tmp.path() / "run" / "model" / "tokenizer.json"), test::readFile(tokFile));
  }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "test_bad_input.moc"
