#!/usr/bin/env bash
# A short pass of every fuzz target: FUZZTIME (default 100x: a hundred new inputs, counted rather than
# timed, so that a busy machine slows the pass but cannot cut a target off while it is still running its
# seed corpus) each, one worker, with minimisation capped
# at a few runs so that the time goes to executing new inputs rather than minimising one. Each package's
# test binary is built once with the fuzzing instrumentation and run once per target, from the package's
# directory (the targets read their seeds from testdata/ and ../fixtures/). A failure prints the crasher's input, which
# the binary writes under the package's testdata/fuzz/ so that `go test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-100x}
go=${GO:-go}
cache="$($go env GOCACHE)/fuzz"
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
n=0
for dir in $(grep -l '^func Fuzz' $(git ls-files '*_test.go') | xargs -n1 dirname | sort -u); do
  $go test -c -fuzz=. -o "$bin/t" "./$dir"
  for t in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | sed 's/^func //'); do
    if ! (cd "$dir" && "$bin/t" -test.run '^$' -test.fuzz "^${t}\$" -test.fuzztime "$fuzztime" \
        -test.fuzzminimizetime 5x -test.parallel 1 -test.fuzzcachedir "$cache" >"$bin/out" 2>&1); then
      cat "$bin/out"
      echo "fuzz: $dir $t failed"
      exit 1
    fi
    n=$((n + 1))
  done
done
echo "fuzz: $n targets, $fuzztime each: ok"
