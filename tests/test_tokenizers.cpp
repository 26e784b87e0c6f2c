// Tokenizers against the Python reference (tokenizers / sentencepiece libraries): every line of
// each reference.jsonl must give the same ids, tokens and decoded text.
#include <QtTest/QtTest>

#include "core/io/bpe_tokenizer.h"
#include "core/io/tokenizer.h"
#include "test_support.h"

using namespace gt;
namespace fs = std::filesystem;

namespace {

void checkAgainstReference(const Tokenizer& tok, const fs::path& referenceJsonl) {
  const auto rows = test::readJsonl(referenceJsonl);
  QCOMPARE(rows.size(), size_t(100));
  for (const auto& row : rows) {
    const std::string text = row["text"].get<std::string>();
    const auto ids = tok.encode(text);
    QVERIFY2(ids == row["ids"].get<std::vector<int64_t>>(), ("ids differ for: " + text).c_str());
    if (row.contains("tokens")) QVERIFY2(tok.tokens(ids) == row["tokens"].get<std::vector<std::string>>(), ("tokens differ for: " + text).c_str());
    const std::string decoded = tok.decode(ids);
    QVERIFY2(decoded == row["decoded"].get<std::string>(), ("decoded differs for: " + text + " -> " + decoded).c_str());
  }
}

}  // namespace

class TestTokenizers : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void byteLevel8k() {
    const auto dir = test::fixture("tokenizers/bytelevel-8k");
    if (dir.empty()) QSKIP("fixture tokenizers/bytelevel-8k not found");
    auto tok = loadTokenizer(dir / "tokenizer.json");
    QCOMPARE(tok->vocabSize(), int64_t(8192));
    checkAgainstReference(*tok, dir / "reference.jsonl");
    // Special tokens survive when asked for.
    QCOMPARE(tok->decode(tok->encode("a<|endoftext|>b"), false), std::string("a<|endoftext|>b"));
    // Ids beyond the tokenizer (a model's padded vocabulary) decode to nothing, as in tokenizers.
    QCOMPARE(tok->decode({tok->encode("a")[0], 9000, tok->encode("b")[0]}), std::string("ab"));
  }

  void sentencePiece4k() {
    const auto dir = test::fixture("tokenizers/sentencepiece-4k");
    if (dir.empty()) QSKIP("fixture tokenizers/sentencepiece-4k not found");
    auto tok = loadTokenizer(dir);  // the folder form finds tokenizer.model
    QCOMPARE(tok->vocabSize(), int64_t(4096));
    checkAgainstReference(*tok, dir / "reference.jsonl");
  }

  void gpt2TokenizerJson() {
    const auto dir = test::fixture("tokenizers/gpt2");
    if (dir.empty() || !fs::exists(dir / "tokenizer.json")) QSKIP("GPT-2 tokenizer (5 MB) only in ../shared/fixtures, not found");
    auto tok = loadTokenizer(dir / "tokenizer.json");
    QCOMPARE(tok->vocabSize(), int64_t(50257));
    checkAgainstReference(*tok, dir / "reference.jsonl");
  }

  void gpt2VocabAndMerges() {
    const auto dir = test::fixture("tokenizers/gpt2");
    if (dir.empty() || !fs::exists(dir / "vocab.json")) QSKIP("GPT-2 vocab.json/merges.txt only in ../shared/fixtures, not found");
    auto tok = loadTokenizer(dir / "vocab.json");
    checkAgainstReference(*tok, dir / "reference.jsonl");
  }

  void splitPreTokenizerAndNormalizer() {
    // A tokenizer.json with NFKC + Lowercase and a Split(Isolated digits) before ByteLevel.
    test::TempDir tmp;
    nlohmann::json vocab = nlohmann::json::object();
    const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789\xC4\xA0";  // includes 'Ġ'
    int id = 0;
    for (const auto& ch : std::vector<std::string>{"a", "b", "c", "1", "2", "\xC4\xA0", "ab", "\xC4\xA0" "ab"}) vocab[ch] = id++;
    nlohmann::json j = {
        {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"a b", "\xC4\xA0 ab"}}}},
        {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "NFKC"}}, {{"type", "Lowercase"}}}}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", "\\d"}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}}}}},
        {"decoder", {{"type", "ByteLevel"}}},
        {"added_tokens", nlohmann::json::array()}};
    test::writeFile(tmp.path() / "tokenizer.json", j.dump());
    auto tok = loadTokenizer(tmp.path() / "tokenizer.json");
    // "ＡB 12" -> NFKC "AB 12" -> lower "ab 12" -> split digits -> "ab ", "1", "2" -> byte-level.
    QCOMPARE(tok->encode("\xEF\xBC\xA1" "B 12"), (std::vector<int64_t>{6, 5, 3, 4}));
    QCOMPARE(tok->decode({6, 5, 3, 4}), std::string("ab 12"));
  }

  void badTokenizerFiles() {
    test::TempDir tmp;
    test::writeFile(tmp.path() / "tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {}}})");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadTokenizer(tmp.path()); })),
             QString::fromStdString((tmp.path() / "tokenizer.json").string() + ": model.type 'WordPiece' is not supported (expected BPE)"));
    test::writeFile(tmp.path() / "tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}})");
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadTokenizer(tmp.path()); })),
             QString::fromStdString((tmp.path() / "tokenizer.json").string() + ": merge 'a b' uses tokens missing from the vocabulary"));
    test::writeFile(tmp.path() / "broken.model", "not a protobuf");
    const auto msg = QString::fromStdString(test::errorMessage([&] { loadTokenizer(tmp.path() / "broken.model"); }));
    QVERIFY2(msg.startsWith(QString::fromStdString((tmp.path() / "broken.model").string() + ": not a SentencePiece model (")), qPrintable(msg));
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { loadTokenizer(tmp.path() / "absent"); })),
             QString::fromStdString((tmp.path() / "absent").string() + ": tokenizer not found"));
  }
};

QTEST_GUILESS_MAIN(TestTokenizers)
#include "test_tokenizers.moc"
