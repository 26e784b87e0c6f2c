// Datasets: JSONL/CSV/TSV with field mapping and splits, the prompt template, truncation that
// keeps the target, labels only on target tokens, and the messages for bad files.
#include <QtTest/QtTest>

#include "core/io/tokenizer.h"
#include "core/train/dataset.h"
#include "test_support.h"

using namespace gt;

class TestDataset : public QObject {
  Q_OBJECT
  std::unique_ptr<Tokenizer> tok_;

 private Q_SLOTS:
  void initTestCase() {
    const auto dir = test::fixture("tokenizers/bytes-only");
    QVERIFY(!dir.empty());
    tok_ = loadTokenizer(dir);
  }

  void readsJsonlWithSplit() {
    DatasetSpec spec;
    spec.path = test::fixture("data/tiny.jsonl");
    spec.split = "valid";
    const auto rows = readExamples(spec);
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows[0].target, std::string("spreadsheet module for Python"));
  }

  void readsCsvAndTsvWithMapping() {
    test::TempDir tmp;
    test::writeFile(tmp.path() / "d.csv", "id,text,summary\n1,\"a, \"\"quoted\"\"\nline\",short\n2,plain,x\n");
    DatasetSpec spec;
    spec.path = tmp.path() / "d.csv";
    spec.sourceField = "text";
    spec.targetField = "summary";
    auto rows = readExamples(spec);
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows[0].source, std::string("a, \"quoted\"\nline"));
    QCOMPARE(rows[1].target, std::string("x"));
    test::writeFile(tmp.path() / "d.tsv", "summary\ttext\nshort\tsome text\n");
    spec.path = tmp.path() / "d.tsv";
    rows = readExamples(spec);
    QCOMPARE(rows[0].source, std::string("some text"));
  }

  void layoutListsFieldsAndSplits() {
    const auto jsonl = inspectDatasetLayout(test::fixture("data/tiny.jsonl"));
    QCOMPARE(QString::fromStdString(jsonl.format), QString("jsonl"));
    QCOMPARE(jsonl.fields, (std::vector<std::string>{"source", "target", "split"}));
    QCOMPARE(jsonl.splits, (std::vector<std::string>{"train", "valid"}));
    QCOMPARE(jsonl.rows, int64_t(12));
    test::TempDir tmp;
    test::writeFile(tmp.path() / "d.csv", "id,text,part\n1,\"a,\nb\",test\n2,x,train\n3,y,test\n");
    const auto csv = inspectDatasetLayout(tmp.path() / "d.csv", "", "part");
    QCOMPARE(csv.fields, (std::vector<std::string>{"id", "text", "part"}));
    QCOMPARE(csv.splits, (std::vector<std::string>{"test", "train"}));
    QCOMPARE(csv.rows, int64_t(3));
    test::writeFile(tmp.path() / "e.jsonl", "{\"a\": 1}\n[1]\n");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { inspectDatasetLayout(tmp.path() / "e.jsonl"); })),
             QString::fromStdString((tmp.path() / "e.jsonl").string() + ":2: expected a JSON object per line"));
    test::writeFile(tmp.path() / "f.tsv", "");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { inspectDatasetLayout(tmp.path() / "f.tsv"); })),
             QString::fromStdString((tmp.path() / "f.tsv").string() + ":1: no header row"));
  }

  void promptLabelsAndTruncation() {
    DatasetSpec spec;
    spec.maxLength = 40;
    DatasetStats stats;
    const std::string longSource(100, 'a');
    auto data = tokenizeExamples({{"abc", "xy"}, {longSource, "target words"}}, *tok_, spec, 256, stats);
    QCOMPARE(data.size(), size_t(2));
    QCOMPARE(tok_->decode(data[0].prompt), std::string("abc TL;DR: "));
    QCOMPARE(data[0].target, (std::vector<int64_t>{tok_->encode("xy")[0], tok_->encode("xy")[1], 256}));
    // The long source was cut; the target survived whole.
    QCOMPARE(stats.truncated, int64_t(1));
    QVERIFY(int64_t(data[1].prompt.size() + data[1].target.size()) <= 40);
    QCOMPARE(tok_->decode(data[1].target, false), std::string("target words<|endoftext|>"));
    QVERIFY(QString::fromStdString(tok_->decode(data[1].prompt)).endsWith(" TL;DR: "));

    auto batches = makeBatches(data, 2, 1, 0, 0, false);
    QCOMPARE(batches.size(), size_t(1));
    const auto& b = batches[0];
    const int64_t len0 = int64_t(data[0].prompt.size() + data[0].target.size());
    QCOMPARE(b.attentionMask[0].sum().item<int64_t>(), len0);
    // Labels: -100 on the prompt and the padding, the token ids on the target.
    QCOMPARE(b.labels[0][int64_t(data[0].prompt.size()) - 1].item<int64_t>(), int64_t(-100));
    QCOMPARE(b.labels[0][int64_t(data[0].prompt.size())].item<int64_t>(), data[0].target[0]);
    QCOMPARE(b.labels[0][len0].item<int64_t>(), int64_t(-100));
  }

  void targetTooLongIsSkippedAndCounted() {
    DatasetSpec spec;
    spec.maxLength = 14;
    DatasetStats stats;
    auto data = tokenizeExamples({{"a", "this target is far too long"}, {"b", "ok"}}, *tok_, spec, 256, stats);
    QCOMPARE(data.size(), size_t(1));
    QCOMPARE(stats.skippedTooLong, int64_t(1));
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { tokenizeExamples({{"a", "this target is far too long"}}, *tok_, spec, 256, stats); })),
             QString("dataset: no usable rows (1 too long for max_length 14, 0 with an empty field)"));
  }

  void shuffleIsSeeded() {
    DatasetSpec spec;
    DatasetStats stats;
    std::vector<Example> ex;
    for (int i = 0; i < 20; ++i) ex.push_back({"source " + std::to_string(i), "t" + std::to_string(i)});
    auto data = tokenizeExamples(ex, *tok_, spec, 256, stats);
    auto a = makeBatches(data, 4, 7, 1, 0), b = makeBatches(data, 4, 7, 1, 0), c = makeBatches(data, 4, 7, 2, 0);
    QVERIFY(torch::equal(a[0].inputIds, b[0].inputIds));
    bool differs = false;
    for (size_t i = 0; i < a.size(); ++i) differs |= !a[i].inputIds.sizes().equals(c[i].inputIds.sizes()) || !torch::equal(a[i].inputIds, c[i].inputIds);
    QVERIFY(differs);
  }

  // --pad-to-multiple-of: rows are laid out as before and only padding is added; lengths round up
  // to the multiple, but never past max_length nor below the longest row.
  void padToMultipleOfRoundsUpWithinMaxLength() {
    DatasetSpec spec;
    DatasetStats stats;
    // One token per byte: "a TL;DR: " + "b" + EOS = 11 tokens, "abcdefghijklmnop TL;DR: " + "q" + EOS = 26.
    auto data = tokenizeExamples({{"a", "b"}, {"abcdefghijklmnop", "q"}}, *tok_, spec, 256, stats);
    const int64_t len0 = int64_t(data[0].prompt.size() + data[0].target.size()), len1 = int64_t(data[1].prompt.size() + data[1].target.size());
    QCOMPARE(len0, int64_t(11));
    QCOMPARE(len1, int64_t(26));
    const auto plain = makeBatches(data, 1, 0, 0, 0, false);
    QCOMPARE(plain[0].seq(), len0);
    QCOMPARE(plain[1].seq(), len1);
    const auto padded = makeBatches(data, 1, 0, 0, 0, false, 8, 0);
    QCOMPARE(padded[0].seq(), int64_t(16));
    QCOMPARE(padded[1].seq(), int64_t(32));
    const auto capped = makeBatches(data, 1, 0, 0, 0, false, 8, 30);
    QCOMPARE(capped[0].seq(), int64_t(16));
    QCOMPARE(capped[1].seq(), int64_t(30));  // 32 would pass max_length 30
    const auto longer = makeBatches(data, 1, 0, 0, 0, false, 64, 20);
    QCOMPARE(longer[1].seq(), len1);  // max_length below the row's own length: the row's length
    for (size_t i = 0; i < 2; ++i) {
      const int64_t n = plain[i].seq();
      QVERIFY(torch::equal(capped[i].inputIds.slice(1, 0, n), plain[i].inputIds));
      QVERIFY(torch::equal(capped[i].labels.slice(1, 0, n), plain[i].labels));
      QCOMPARE(capped[i].attentionMask.slice(1, n).sum().item<int64_t>(), int64_t(0));
      QVERIFY((capped[i].labels.slice(1, n) == -100).all().item<bool>());
      QVERIFY(capped[i].rightPadded);
    }
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { makeBatches(data, 1, 0, 0, 0, false, -1, 0); })),
             QString("pad_to_multiple_of: expected >= 0, got -1"));
    // -1 (the default): 64 on CUDA in the 16-bit precisions only; a given multiple is kept.
    QCOMPARE(batchLengthMultiple(-1, "cuda", "bf16-mixed"), int64_t(64));
    QCOMPARE(batchLengthMultiple(-1, "cuda:1", "fp16-true"), int64_t(64));
    QCOMPARE(batchLengthMultiple(-1, "cuda", "fp32"), int64_t(0));
    QCOMPARE(batchLengthMultiple(-1, "cpu", "bf16-mixed"), int64_t(0));
    QCOMPARE(batchLengthMultiple(0, "cuda", "bf16-mixed"), int64_t(0));
    QCOMPARE(batchLengthMultiple(16, "cpu", "fp32"), int64_t(16));
  }

  void badFiles() {
    test::TempDir tmp;
    DatasetSpec spec;
    spec.path = tmp.path() / "empty.jsonl";
    test::writeFile(spec.path, "\n\n");
    const std::string p = spec.path.string();
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })), QString::fromStdString(p + ": empty dataset"));
    test::writeFile(spec.path, "{\"source\": \"x\", \"target\": \"y\"}\n{\"source\": \"x\"}\n");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })),
             QString::fromStdString(p + ":2: missing field 'target'"));
    test::writeFile(spec.path, "{\"source\": \"x\", \"target\": \n");
    QVERIFY(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })).startsWith(QString::fromStdString(p + ":1: malformed JSON: ")));
    spec.path = tmp.path() / "d.csv";
    test::writeFile(spec.path, "text,summary\nx,y\n");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })),
             QString::fromStdString(spec.path.string() + ": no column 'source' in the header (columns: text, summary)"));
    test::writeFile(spec.path, "source,target\nx,y,z\n");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })),
             QString::fromStdString(spec.path.string() + ":2: expected 2 fields, found 3"));
    spec.path = tmp.path() / "absent.jsonl";
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { readExamples(spec); })),
             QString::fromStdString(spec.path.string() + ": dataset file not found"));
    QCOMPARE(QString::fromStdString(test::errorMessage([] { PromptTemplate::parse("{target} then {source}"); })),
             QString("prompt_template: expected {source} followed by {target}, got '{target} then {source}'"));
  }
};

QTEST_GUILESS_MAIN(TestDataset)
#include "test_dataset.moc"
