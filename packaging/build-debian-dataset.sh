#!/usr/bin/env bash
# Builds the Debian package-descriptions dataset (description -> synopsis) from the APT archive.
#   bash packaging/build-debian-dataset.sh [OUT_DIR]   (default data/debian)
# Fetches bookworm main/updates/security Packages and Translation-en into a private lists
# folder (the system's APT state is not touched), decompresses them with apt-helper, and runs
# `greentrainer dataset debian`. Needs network access to the Debian mirror and a built CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-data/debian}"
gt="${GT_BUILD_DIR:-build}/app/greentrainer"
lists="$out/apt-lists"
mkdir -p "$lists/partial" "$out/apt-cache/archives/partial"
apt-get update -q -o Acquire::Languages=en -o Dir::State::Lists="$(realpath "$lists")" \
  -o Dir::Cache="$(realpath "$out/apt-cache")" -o APT::Get::List-Cleanup=false >/dev/null
translations=() packages=()
for f in "$lists"/*_i18n_Translation-en*; do
  plain="$out/$(basename "${f%.lz4}").txt"
  /usr/lib/apt/apt-helper cat-file "$f" > "$plain"
  translations+=("$plain")
done
for f in "$lists"/*_binary-amd64_Packages*; do
  plain="$out/$(basename "${f%.lz4}").txt"
  /usr/lib/apt/apt-helper cat-file "$f" > "$plain"
  packages+=("$plain")
done
"$gt" dataset debian --translations "${translations[@]}" --packages "${packages[@]}" \
  --out "$out/debian-descriptions.jsonl" --subset "$out/debian-descriptions-subset.jsonl" --subset-train 4000
