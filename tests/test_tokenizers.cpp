// Tokenizers against the Python reference (tokenizers / sentencepiece libraries): every line of
// each reference.jsonl must give the same ids, tokens and decoded text.
#include <QtTest/QtTest>

#include "core/io/hf_tokenizer.h"
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

// Every line of <dir>/reference.jsonl (made from <dir>/tokenizer.json by the Rust library, see
// fixtures/tokenizers/real/make_references.sh): ids, ids with the post-processor's special tokens,
// decoded text skipping and keeping special tokens. Returns a description of the first mismatches.
std::string compareWithRustReference(const fs::path& dir, size_t& rowsChecked) {
  auto tok = loadTokenizer(dir / "tokenizer.json");
  std::string failures;
  int shown = 0;
  auto report = [&](const std::string& what, const std::string& text, const nlohmann::json& expected, const nlohmann::json& actual) {
    if (++shown > 3) return;
    failures += "  " + dir.filename().string() + ": " + what + " differ for " + nlohmann::json(text).dump() + "\n    expected " +
                expected.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n    actual   " +
                actual.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  for (const auto& row : test::readJsonl(dir / "reference.jsonl")) {
    ++rowsChecked;
    const std::string text = row["text"].get<std::string>();
    const auto expected = row["ids"].get<std::vector<int64_t>>();
    const auto ids = tok->encode(text);
    if (ids != expected) report("ids", text, expected, ids);
    const auto expectedTokens = row["tokens"].get<std::vector<std::string>>();
    if (tok->tokens(expected) != expectedTokens) report("token strings", text, expectedTokens, tok->tokens(expected));
    const auto expectedSpecial = row["ids_special"].get<std::vector<int64_t>>();
    const auto withSpecial = tok->addSpecialTokens(ids);
    if (withSpecial != expectedSpecial) report("ids with special tokens", text, expectedSpecial, withSpecial);
    const auto decoded = tok->decode(expected, true);
    if (decoded != row["decoded"].get<std::string>()) report("decoded texts", text, row["decoded"], decoded);
    const auto decodedKeep = tok->decode(expected, false);
    if (decodedKeep != row["decoded_keep"].get<std::string>()) report("decoded texts (special kept)", text, row["decoded_keep"], decodedKeep);
  }
  if (shown > 3) failures += "  " + dir.filename().string() + ": " + std::to_string(shown - 3) + " more mismatches\n";
  return failures;
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
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { tok->addSpecialTokens({5}); })),
             QString("this tokenizer defines no special-token template (a tokenizer.json post_processor does; tokenizer.model and "
                     "vocab.json + merges.txt have none)"));
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

  // Released tokenizer.json files of current models (trimmed vocabularies, same pipelines and
  // added tokens; sources in fixtures/tokenizers/real/SOURCES.md) against the Rust library.
  void realTokenizersMatchTheReferenceLibrary() {
    const auto root = test::fixture("tokenizers/real");
    if (root.empty()) QSKIP("fixture tokenizers/real not found");
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(root))
      if (fs::exists(e.path() / "reference.jsonl")) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    QVERIFY2(dirs.size() >= 15, "expected the 14 released tokenizers and the synthetic added-token one");
    std::string failures;
    size_t rows = 0;
    for (const auto& d : dirs) failures += compareWithRustReference(d, rows);
    QVERIFY2(rows > 4000, "expected a few hundred strings per tokenizer");
    QVERIFY2(failures.empty(), ("\n" + failures).c_str());
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
    const std::string file = (tmp.path() / "tokenizer.json").string();
    auto loadError = [&](const std::string& json) {
      test::writeFile(tmp.path() / "tokenizer.json", json);
      return QString::fromStdString(test::errorMessage([&] { loadTokenizer(tmp.path()); }));
    };
    QCOMPARE(loadError(R"({"model": {"type": "WordLevel", "vocab": {}}})"),
             QString::fromStdString(file + ": model.type 'WordLevel' is not supported (expected BPE, Unigram or WordPiece)"));
    QCOMPARE(loadError(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})"),
             QString::fromStdString(file + ": model.unk_token '[UNK]' is not in the vocabulary"));
    QCOMPARE(loadError(R"({"model": {"type": "Unigram", "vocab": [["a", -1.0]]}})"),
             QString::fromStdString(file + ": model.unk_id is missing (a Unigram model needs an unknown piece)"));
    QCOMPARE(loadError(R"({"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", "x"]]}})"),
             QString::fromStdString(file + ": model.vocab[0] must be [piece, score]"));
    const std::string bpe = R"("model": {"type": "BPE", "vocab": {"a": 0}, "merges": []})";
    QCOMPARE(loadError("{" + bpe + R"(, "decoder": {"type": "CTC"}})"),
             QString::fromStdString(file + ": decoder type 'CTC' is not supported (expected ByteLevel, Metaspace, Replace, ByteFallback, Fuse, "
                                           "Strip, WordPiece, BPEDecoder or Sequence)"));
    QCOMPARE(loadError("{" + bpe + R"(, "pre_tokenizer": {"type": "UnicodeScripts"}})"),
             QString::fromStdString(file + ": unsupported pre_tokenizer type 'UnicodeScripts' (expected ByteLevel, Split, Metaspace, Whitespace, "
                                           "WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, CharDelimiterSplit or Sequence)"));
    QCOMPARE(loadError("{" + bpe + R"(, "normalizer": {"type": "Nmt"}})"),
             QString::fromStdString(file + ": unsupported normalizer type 'Nmt' (expected NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, "
                                           "Prepend, Replace, Precompiled, BertNormalizer, ByteLevel or Sequence)"));
    QCOMPARE(loadError("{" + bpe + R"(, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AAAA*"}})"),
             QString::fromStdString(file + ": precompiled_charsmap: not valid base64 (character 4)"));
    QCOMPARE(loadError("{" + bpe + ", \"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"/////w==\"}}"),
             QString::fromStdString(file + ": precompiled_charsmap trie size 4294967295 does not fit its 4 bytes"));
    QCOMPARE(loadError("{" + bpe + R"(, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}]}})"),
             QString::fromStdString(file + ": TemplateProcessing uses special token '<s>' missing from special_tokens"));
    QCOMPARE(loadError("{" + bpe + R"(, "added_tokens": [{"content": "x"}]})"),
             QString::fromStdString(file + ": added_tokens[0] ('x'): needs a non-negative integer 'id'"));
    // Text that is not UTF-8 is refused before any normaliser or regular expression sees it.
    test::writeFile(file, "{" + bpe + "}");
    auto tok = loadTokenizer(file);
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { tok->encode(std::string("ab\xC3(", 4)); })),
             QString("text to encode: not valid UTF-8 at byte 2"));
    QCOMPARE(QString::fromStdString(test::errorMessage([&] { tok->encode("\xED\xA0\x80"); })),  // a surrogate
             QString("text to encode: not valid UTF-8 at byte 0"));
    QCOMPARE(tok->addSpecialTokens({0}), std::vector<int64_t>{0});  // no post_processor: unchanged, as in the library
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
