// The greentrainer CLI as a user runs it: subcommands, JSON output, exit codes and messages.
#include <QtTest/QtTest>

#include <QProcess>

#include "core/io/safetensors.h"
#include "test_support.h"

using namespace gt;

namespace {

struct Result {
  int code;
  QString out, err;
};

Result run(const QStringList& args) {
  QProcess p;
  p.start(GT_CLI_PATH, args);
  p.waitForFinished(120000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

nlohmann::json parse(const QString& s) { return nlohmann::json::parse(s.toStdString()); }

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void helpListsSubcommands() {
    auto r = run({"--help"});
    QCOMPARE(r.code, 0);
    for (const char* c : {"inspect", "tokenize", "generate", "--log-level", "--version"}) QVERIFY2(r.out.contains(c), c);
  }

  void versionReportsBlasAndThreads() {
    auto r = run({"--version"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith("greentrainer " GT_VERSION));
    QVERIFY2(r.out.contains("BLAS: OpenBLAS"), qPrintable(r.out));
    QVERIFY(r.out.contains("threads: "));
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
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
