#!/usr/bin/env bash
# Installs what the browser and PDF tests need beyond pip: Debian's chromium and poppler-utils,
# and axe-core from the npm registry (into node_modules/); LibreOffice Calc (headless) for the
# test that Excel returns saved by Calc import identically. Idempotent; quick when all present.
set -uo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
command -v libreoffice >/dev/null 2>&1 || need_apt+=(libreoffice-calc-nogui)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need_apt[*]} with apt-get (browser, PDF and LibreOffice tests)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null \
      || echo "warning: apt-get could not install ${need_apt[*]}; browser/PDF/LibreOffice tests will be skipped" >&2
  else
    echo "note: ${need_apt[*]} missing and not root with apt-get; browser/PDF/LibreOffice tests will be skipped" >&2
  fi
fi
if command -v npm >/dev/null 2>&1 && [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core from the npm registry (the version pinned in package-lock.json)..."
  npm_install=(npm install)
  [ -f package-lock.json ] && npm_install=(npm ci)
  "${npm_install[@]}" --no-audit --no-fund --silent >/dev/null 2>&1 \
    || echo "warning: npm could not install axe-core; accessibility tests will be skipped" >&2
fi
exit 0
