// Evaluation: ROUGE against torchmetrics' reference scores (NLTK Porter stemmer), the stemmer on
// the Porter paper's and NLTK's documented examples, and evaluation by batched generation.
#include <QtTest/QtTest>

#include "core/eval/generation_eval.h"
#include "core/eval/porter_stemmer.h"
#include "core/eval/rouge.h"
#include "core/io/checkpoint.h"
#include "core/model/generation.h"
#include "test_support.h"

using namespace gt;

class TestEval : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void rougeMatchesReference() {
    const auto path = test::fixture("rouge/reference.jsonl");
    if (path.empty()) QSKIP("rouge fixture not found");
    const auto rows = test::readJsonl(path);
    QCOMPARE(rows.size(), size_t(310));
    for (const auto& r : rows) {
      const auto s = rougeScores(r["prediction"].get<std::string>(), r["reference"].get<std::string>(), /*stem=*/true);
      const QString where = QString::fromStdString(r["prediction"].get<std::string>() + " | " + r["reference"].get<std::string>());
      QVERIFY2(std::abs(s.rouge1 - r["rouge1_fmeasure"].get<double>()) <= 2e-6, qPrintable("ROUGE-1 " + where));
      QVERIFY2(std::abs(s.rouge2 - r["rouge2_fmeasure"].get<double>()) <= 2e-6, qPrintable("ROUGE-2 " + where));
      QVERIFY2(std::abs(s.rougeL - r["rougeL_fmeasure"].get<double>()) <= 2e-6, qPrintable("ROUGE-L " + where));
    }
  }

  void stemmerExamples_data() {
    QTest::addColumn<QString>("word");
    QTest::addColumn<QString>("stem");
    // Porter (1980), section 4: words taken through every step.
    QTest::newRow("generalizations") << "generalizations" << "gener";
    QTest::newRow("oscillators") << "oscillators" << "oscil";
    // NLTK's extensions, as its source documents them.
    QTest::newRow("dies") << "dies" << "die";
    QTest::newRow("flies") << "flies" << "fli";
    QTest::newRow("died") << "died" << "die";
    QTest::newRow("spied") << "spied" << "spi";
    QTest::newRow("dying (irregular)") << "dying" << "die";
    QTest::newRow("skies (irregular)") << "skies" << "sky";
    QTest::newRow("proceed (invariant)") << "proceed" << "proceed";
    QTest::newRow("enjoy (y after a vowel)") << "enjoy" << "enjoy";
    QTest::newRow("short word") << "is" << "is";
    QTest::newRow("upper case") << "Running" << "run";
  }
  void stemmerExamples() {
    QFETCH(QString, word);
    QFETCH(QString, stem);
    QCOMPARE(QString::fromStdString(porterStem(word.toStdString())), stem);
  }

  void tokenisationAndEdgeCases() {
    QCOMPARE(rougeTokens("C++ library, TCP/IP!", false), (std::vector<std::string>{"c", "library", "tcp", "ip"}));
    const auto none = rougeScores("", "a b", false);
    QCOMPARE(none.rouge1, 0.0);
    QCOMPARE(none.rougeL, 0.0);
    QVERIFY(exactMatch("The answer.", "answer"));
    QVERIFY(!exactMatch("answers", "answer"));
  }

  // Batched evaluation gives each example the completion generate() gives it alone, and scores it.
  void evaluationByGenerationMatchesSingleGeneration() {
    const auto modelDir = test::fixture("models/llama-gqa-tied");
    const auto tokDir = test::fixture("tokenizers/bytes-only");
    const auto data = test::fixture("data/tiny.jsonl");
    if (modelDir.empty() || tokDir.empty() || data.empty()) QSKIP("fixtures not found");
    auto model = loadModel(modelDir);
    auto tok = loadTokenizer(tokDir);
    DatasetSpec spec;
    spec.path = data;
    spec.split = "train";
    const auto examples = readExamples(spec);
    EvalOptions o;
    o.batchSize = 3;
    o.generation.maxNewTokens = 6;
    o.generation.eosTokenIds = {2};
    o.maxLength = 90;  // cuts the longer sources
    const auto r = evaluateByGeneration(*model, *tok, examples, spec.promptTemplate, o);
    QCOMPARE(r.examples, int64_t(examples.size()));
    QCOMPARE(r.rows.size(), examples.size());
    const auto tmpl = PromptTemplate::parse(spec.promptTemplate);
    const GenerationOptions& g = o.generation;
    QCOMPARE(g.numBeams, int64_t(4));  // evaluation's search: beam 4, repetition penalty 2.5, early stopping
    QCOMPARE(g.repetitionPenalty, 2.5);
    QVERIFY(g.earlyStopping);
    double rougeL = 0;
    for (size_t i = 0; i < examples.size(); ++i) {
      const auto prompt = promptTokens(*tok, tmpl, examples[i].source, o.maxLength - g.maxNewTokens);
      QVERIFY(int64_t(prompt.size()) <= o.maxLength - g.maxNewTokens);
      auto out = generate(*model, prompt, g);
      std::vector<int64_t> fresh(out.begin() + long(prompt.size()), out.end());
      if (!fresh.empty() && fresh.back() == 2) fresh.pop_back();
      auto text = tok->decode(fresh);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      QCOMPARE(r.rows[i].prediction, text);
      QCOMPARE(r.rows[i].reference, examples[i].target);
      QCOMPARE(r.rows[i].rouge.rougeL, rougeScores(text, examples[i].target, false).rougeL);
      rougeL += r.rows[i].rouge.rougeL;
    }
    QVERIFY(std::abs(r.rouge.rougeL - rougeL / double(examples.size())) < 1e-12);
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { evaluateByGeneration(*model, *tok, {}, spec.promptTemplate, o); })),
             QString("evaluation: no examples"));
  }
};

QTEST_GUILESS_MAIN(TestEval)
#include "test_eval.moc"
