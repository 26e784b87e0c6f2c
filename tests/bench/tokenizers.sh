#!/bin/bash
# Tokenizers against the Hugging Face tokenizers library (Rust, npm `tokenizers` 0.23.2) on full,
# released tokenizer.json files: parity (ids of the fixture strings) and speed (MB/s of each side
# on the same inputs, same machine, one run: 1 MB of mixed text, the same with the tokenizer's
# added tokens sprinkled in, words of 30,000 and 60,000 letters).
#
# usage: tests/bench/tokenizers.sh DIR        DIR/<name>/tokenizer.json: the full files listed in
#                                             tests/fixtures/tokenizers/real/SOURCES.md
# env:   GREENTRAINER (default build/app/greentrainer); NODE_PATH: a node_modules holding
#        `tokenizers` (npm install tokenizers@0.23.2); ROUNDS (default 3, best of).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:?usage: tokenizers.sh DIR_OF_TOKENIZER_FOLDERS}
gt=${GREENTRAINER:-$root/build/app/greentrainer}
rounds=${ROUNDS:-3}
ref="$root/tests/bench/tokenizer_reference.js"
command -v node >/dev/null || { echo "node not found: the reference library runs in node" >&2; exit 1; }
node -e 'require("tokenizers")' 2>/dev/null || { echo "npm package tokenizers not found (set NODE_PATH)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Inputs shared by every tokenizer.
python3 - "$root" "$work" <<'PY'
import json, random, sys, glob
root, work = sys.argv[1], sys.argv[2]
rng = random.Random(12)
parts = []
with open(f"{root}/resources/demo/debian-descriptions.jsonl", encoding="utf-8") as f:
    for line in f:
        row = json.loads(line)
        parts.append(row["source"].replace("\n", " ") + " " + row["target"])
for path in sorted(glob.glob(f"{root}/tests/fixtures/tokenizers/real/*/strings.jsonl")):
    with open(path, encoding="utf-8") as f:
        parts += [json.loads(l)["text"].replace("\n", " ").replace("\r", " ") for l in f]
code = open(f"{root}/core/io/bpe_model.cpp", encoding="utf-8").read().replace("\n", " ")
text, size = [], 0
while size < 1_000_000:
    line = " ".join(rng.choice(parts) for _ in range(rng.randint(5, 30)))
    if rng.random() < 0.1:
        line += " " + code[: rng.randint(100, 3000)]
    text.append(line)
    size += len(line.encode()) + 1
open(f"{work}/mixed.txt", "w", encoding="utf-8").write("\n".join(text) + "\n")
letters = "abcdefghijklmnopqrstuvwxyz"
for n in (30000, 60000):
    open(f"{work}/word-{n // 1000}k.txt", "w").write("".join(rng.choice(letters) for _ in range(n)) + "\n")
PY

best() {  # best mb_per_s of ROUNDS runs of a command printing the JSON summary
  local b=0 v
  for _ in $(seq "$rounds"); do
    v=$("$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mb_per_s"])')
    b=$(python3 -c "print(max($b, $v))")
  done
  echo "$b"
}

printf "%-18s %-10s %10s %12s %12s %8s\n" tokenizer input MB "ours MB/s" "ref MB/s" "ours/ref"
for tdir in "$dir"/*/; do
  tok="$tdir/tokenizer.json"
  [ -f "$tok" ] || continue
  name=$(basename "$tdir")
  # Parity on the fixture strings (this tokenizer's own when it has a fixture, else Mistral's).
  strings="$root/tests/fixtures/tokenizers/real/$name/strings.jsonl"
  [ -f "$strings" ] || strings="$root/tests/fixtures/tokenizers/real/mistral-7b-v0.1/strings.jsonl"
  "$gt" tokenize "$tok" --file "$strings" --jsonl-field text --json 2>/dev/null > "$work/ours.ids"
  node "$ref" "$tok" "$strings" --ids --jsonl-field text > "$work/ref.ids"
  differ=$(python3 -c "
import sys; a=open(sys.argv[1]).read().split(chr(10)); b=open(sys.argv[2]).read().split(chr(10))
print(sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b)))" "$work/ours.ids" "$work/ref.ids")
  echo "$name: parity on $(wc -l < "$strings") strings: $differ differ"
  # The mixed text with this tokenizer's added tokens sprinkled in (every ~100 bytes).
  python3 - "$tok" "$work/mixed.txt" "$work/added.txt" <<'PY'
import json, random, sys
added = [a["content"] for a in json.load(open(sys.argv[1], encoding="utf-8")).get("added_tokens", [])] or ["x"]
rng = random.Random(5)
out = []
for line in open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]:
    words = line.split(" ")
    for i in range(0, len(words), 15):
        words[i] = rng.choice(added) + words[i]
    out.append(" ".join(words))
open(sys.argv[3], "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
  for input in mixed added word-30k word-60k; do
    f="$work/$input.txt"
    ours=$(best "$gt" tokenize "$tok" --file "$f" --count --json)
    theirs=$(best node "$ref" "$tok" "$f")
    printf "%-18s %-10s %10.2f %12.2f %12.2f %8.2f\n" "$name" "$input" "$(python3 -c "import os;print(os.path.getsize('$f')/1e6)")" \
      "$ours" "$theirs" "$(python3 -c "print($ours/$theirs)")"
  done
done
