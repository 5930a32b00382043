#!/usr/bin/env bash
# The pipeline a team would script by hand, for the benchmark's cold-build comparison:
# for each report, one after another, the stock papermill CLI, then `jupyter nbconvert --to
# html`, then for the PDF `jupyter nbconvert --to markdown`, pandoc (Markdown -> Typst, the
# charts extracted to files) and typst. No parallelism, no caching. (pandoc's own ipynb
# reader is not used: it leaves the reports' Markdown outputs, charts included, as literal
# text, which typst then takes minutes to set.)
#
#   bench/naive.sh [QUARTER [DIRECTORATE...]]
#
# Run from the project folder; writes naive/<report>.ipynb|.html|.pdf. With no directorate
# named: the cover, the corporate QPR and every directorate in data/indicators.csv (as
# `qpr build`); with some: only those directorates' dashboards (as `qpr build --directorate`).
# BIN (default .venv/bin) holds papermill, jupyter and python; PANDOC defaults to the
# pandoc that pypandoc-binary installs.
set -euo pipefail

BIN=$(cd "${BIN:-.venv/bin}" && pwd)  # absolute: the PDF step runs inside naive/
QUARTER=${1:-"2023/24 Q2"}
shift || true
PANDOC=${PANDOC:-$("$BIN/python" -c 'import pypandoc; print(pypandoc.get_pandoc_path())')}
OUT=naive
mkdir -p "$OUT"

report() {  # name notebook [papermill -p ...]
  local name=$1 notebook=$2
  shift 2
  "$BIN/papermill" "notebooks/$notebook.ipynb" "$OUT/$name.ipynb" -k python3 --cwd notebooks \
    -p quarter "$QUARTER" -p data_dir ../data "$@" --no-progress-bar
  "$BIN/jupyter" nbconvert --to html --no-input "$OUT/$name.ipynb"
  "$BIN/jupyter" nbconvert --to markdown --no-input "$OUT/$name.ipynb"
  (
    cd "$OUT"
    "$PANDOC" "$name.md" -s -t typst -o "$name.typ" --extract-media="$name-media"
    "$BIN/python" -c 'import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2])' \
      "$name.typ" "$name.pdf"
  )
}

slug() { tr '[:upper:]' '[:lower:]' <<<"$1" | tr -d "'" | tr -cs 'a-z0-9' '-' | sed 's/^-//; s/-$//'; }

if [ $# -eq 0 ]; then
  report cover cover
  report qpr qpr
  mapfile -t directorates < <("$BIN/python" -c '
import csv
rows = csv.DictReader(open("data/indicators.csv", encoding="utf-8"))
print(*dict.fromkeys(row["directorate"] for row in rows), sep="\n")')
else
  directorates=("$@")
fi
for directorate in "${directorates[@]}"; do
  report "directorate-$(slug "$directorate")" directorate -p directorate "$directorate"
done
