#!/usr/bin/env bash
# Runs the whole jest suite and ends with the plain line CI reads: "N passed, N failed".
# Extra arguments go to jest (e.g. a path pattern).
set -uo pipefail
cd "$(dirname "$0")/.."
results="${TMPDIR:-/tmp}/acme-ts-jest-results.$$.json"
# The whole suite also type-checks the tests (jest runs them without types) and lints and
# format-checks the tree (npm run lint): two tests more.
typecheck=
lint=
if [ $# -eq 0 ]; then
  if npx tsc -p tsconfig.test.json --noEmit; then
    typecheck=passed
  else
    echo "type check of the tests (npx tsc -p tsconfig.test.json --noEmit) failed" >&2
    typecheck=failed
  fi
  if npm run --silent lint; then
    lint=passed
  else
    echo "lint (npm run lint: ESLint and Prettier) failed; npx prettier --write . formats" >&2
    lint=failed
  fi
fi
# The dashboard's browser tests need Chromium (installed here, not by setup.sh, so runs without
# them never wait for it); if it cannot be installed those tests fail and say why.
if [ $# -eq 0 ] || [[ "$*" == *dashboard* ]] || [[ "$*" == *e2e* ]]; then
  bash scripts/setup-browser.sh || true
fi
npx jest --json --outputFile="$results" "$@"
status=$?
[ "$typecheck" != failed ] || status=1
[ "$lint" != failed ] || status=1
if [ -s "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const checks = process.argv.slice(2);
    // Suites that failed to load count as failed tests too: they ran nothing.
    const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0).length;
    const passed = r.numPassedTests + checks.filter(c => c === "passed").length;
    const failed = r.numFailedTests + broken + checks.filter(c => c === "failed").length;
    console.log(`${passed} passed, ${failed} failed`);
  ' "$results" "$typecheck" "$lint"
  rm -f "$results"
else
  echo "0 passed, 1 failed"
  [ $status -ne 0 ] || status=1
fi
exit $status
