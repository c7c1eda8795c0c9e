#!/usr/bin/env bash
# Runs the whole jest suite and ends with the plain line CI reads: "N passed, N failed".
# Extra arguments go to jest (e.g. a path pattern).
set -uo pipefail
cd "$(dirname "$0")/.."
results="${TMPDIR:-/tmp}/acme-ts-jest-results.$$.json"
npx jest --json --outputFile="$results" "$@"
status=$?
if [ -s "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    // Suites that failed to load count as failed tests too: they ran nothing.
    const broken = r.testResults.filter(s => s.status === "failed" && s.assertionResults.length === 0).length;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed`);
  ' "$results"
  rm -f "$results"
else
  echo "0 passed, 1 failed"
  [ $status -ne 0 ] || status=1
fi
exit $status
