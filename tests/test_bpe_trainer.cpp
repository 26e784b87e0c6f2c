// The byte-level BPE trainer: the tokenizer.json it writes has Hugging Face's fields, loads in
// our tokenizer, round-trips every training line, and merges the most frequent pairs first.
#include <QtTest/QtTest>

#include "core/io/bpe_trainer.h"
#include "core/io/tokenizer.h"
#include "core/util/json_file.h"
#include "test_support.h"

using namespace gt;

class TestBpeTrainer : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void trainsRoundTripsAndWritesHfFields() {
    const std::vector<std::string> lines = {
        "the quick brown fox jumps over the lazy dog",
        "the dog sleeps; the fox runs away",
        "Debian packages: libfoo-dev, foo-doc and foo (1.0-1)",
        "naïve café résumé — unicode 中文 and emoji 😀",
        "  indented\tline with tabs\nand a newline",
        "numbers 12345 and 3.14159",
    };
    BpeTrainerOptions o;
    o.vocabSize = 320;
    BpeTrainer trainer(o);
    for (int repeat = 0; repeat < 3; ++repeat)
      for (const auto& l : lines) trainer.addText(l);
    test::TempDir tmp;
    const auto r = trainer.train(tmp.path());
    QCOMPARE(r.vocabSize, int64_t(320));
    QCOMPARE(r.merges, int64_t(320 - 257));

    const auto j = readJsonFile(tmp.path() / "tokenizer.json");
    QCOMPARE(j["model"]["type"].get<std::string>(), std::string("BPE"));
    QCOMPARE(j["model"]["vocab"].size(), size_t(320));
    QCOMPARE(j["model"]["merges"].size(), size_t(63));
    QCOMPARE(j["pre_tokenizer"]["type"].get<std::string>(), std::string("ByteLevel"));
    QCOMPARE(j["decoder"]["type"].get<std::string>(), std::string("ByteLevel"));
    QCOMPARE(j["added_tokens"][0]["content"].get<std::string>(), std::string("<|endoftext|>"));
    QCOMPARE(j["added_tokens"][0]["id"].get<int>(), 0);
    QCOMPARE(j["model"]["vocab"]["<|endoftext|>"].get<int>(), 0);
    QCOMPARE(j["model"]["vocab"]["!"].get<int>(), 1);  // byte alphabet in code-point order after the specials
    // The first merge is the most frequent adjacent pair. Counted by hand (per copy of the lines):
    // "t h", "f o", "Ġ a", "a n" and "n d" occur 5 times each, more than any other pair; ties go to
    // the lower ids, i.e. the pair whose first symbol comes first in the byte alphabet: "a n".
    QCOMPARE(j["model"]["merges"][0], nlohmann::json::parse(R"(["a", "n"])"));

    auto tok = loadTokenizer(tmp.path());
    QCOMPARE(tok->vocabSize(), int64_t(320));
    for (const auto& l : lines) {
      const auto ids = tok->encode(l);
      QCOMPARE(tok->decode(ids), l);
      QVERIFY(ids.size() < l.size());  // merges shorten the byte sequence
    }
    QVERIFY(tok->encode(" the").size() == 1);  // a frequent word became one token
    QCOMPARE(tok->encode("<|endoftext|>"), std::vector<int64_t>{0});
  }

  // The shipped demo tokenizer (resources/demo) encodes every fixture string without loss.
  void demoTokenizerIsLossless() {
    const auto demo = std::filesystem::path(GT_TEST_FIXTURES).parent_path().parent_path() / "resources" / "demo";
    auto tok = loadTokenizer(demo / "tokenizer.json");
    QCOMPARE(tok->vocabSize(), int64_t(8192));
    const auto reference = test::fixture("tokenizers/bytelevel-8k/reference.jsonl");
    QVERIFY(!reference.empty());
    int checked = 0;
    for (const auto& row : test::readJsonl(reference)) {
      const std::string text = row["text"].get<std::string>();
      if (text.find("<|endoftext|>") != std::string::npos) continue;  // a special token by design
      QVERIFY2(tok->decode(tok->encode(text)) == text, text.c_str());
      ++checked;
    }
    QCOMPARE(checked, 99);
  }

  void rejectsTinyVocabulary() {
    BpeTrainerOptions o;
    o.vocabSize = 100;
    BpeTrainer trainer(o);
    trainer.addText("hello");
    test::TempDir tmp;
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { trainer.train(tmp.path()); })),
             QString("--vocab-size must be at least 257 (256 byte symbols + 1 special tokens)"));
  }
};

QTEST_GUILESS_MAIN(TestBpeTrainer)
#include "test_bpe_trainer.moc"
