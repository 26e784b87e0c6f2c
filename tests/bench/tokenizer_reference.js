// The reference side of tests/bench/tokenizers.sh: the Hugging Face tokenizers library (Rust,
// through its Node binding, npm `tokenizers`) encoding a file the way `greentrainer tokenize
// --file` does: each line one text, one after the other (no batching across threads), without
// special tokens. Prints {"texts","bytes","tokens","seconds","mb_per_s","tokens_per_s"}, or with
// --ids one {"ids": [...]} line per text.
// usage: node tokenizer_reference.js TOKENIZER_JSON FILE [--ids] [--jsonl-field F]
const fs = require("fs");
const { Tokenizer } = require("tokenizers");
(async () => {
  const [file, input, ...rest] = process.argv.slice(2);
  const printIds = rest.includes("--ids");
  const fieldAt = rest.indexOf("--jsonl-field");
  const field = fieldAt >= 0 ? rest[fieldAt + 1] : null;
  const tok = Tokenizer.fromFile(file);
  let lines = fs.readFileSync(input, "utf8").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const texts = field ? lines.filter((l) => l.length).map((l) => JSON.parse(l)[field]) : lines;
  let tokens = 0, bytes = 0, seconds = 0;
  for (const text of texts) {
    const t0 = process.hrtime.bigint();
    const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    tokens += ids.length;
    bytes += Buffer.byteLength(text, "utf8");
    if (printIds) process.stdout.write(JSON.stringify({ ids: Array.from(ids) }) + "\n");
  }
  if (!printIds)
    console.log(JSON.stringify({ texts: texts.length, bytes, tokens, seconds, mb_per_s: bytes / seconds / 1e6, tokens_per_s: tokens / seconds }));
})();
