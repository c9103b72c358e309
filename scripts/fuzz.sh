#!/usr/bin/env bash
# Every Go fuzz test of a parser of outside data, for FUZZTIME each (found by
# name, so new ones run too). A failing input is saved under testdata/fuzz
# and replayed, so the failure is shown and stays reproducible.
#
# Go's fuzzing coordinator can also fail without any input to blame (a
# worker killed or starved on a busy 2-core runner): that leaves no new
# file in testdata/fuzz, and only then is the target run once more.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

corpus_count() {
	if [ -d "$1/testdata/fuzz/$2" ]; then find "$1/testdata/fuzz/$2" -type f | wc -l; else echo 0; fi
}

for dir in $(grep -rl --include='*_test.go' '^func Fuzz' internal cmd | xargs -n1 dirname | sort -u); do
	for fn in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go | cut -c6-); do
		for attempt in 1 2; do
			echo "fuzz ./$dir $fn ($FUZZTIME)"
			before=$(corpus_count "$dir" "$fn")
			if $GO test -run '^$' -fuzz "^$fn\$" -fuzztime "$FUZZTIME" "./$dir" >"$log" 2>&1; then
				break
			fi
			if [ "$(corpus_count "$dir" "$fn")" -gt "$before" ]; then
				echo "fuzz: $fn found a failing input (saved under $dir/testdata/fuzz/$fn):" >&2
				tail -n 30 "$log" >&2
				$GO test -run "^$fn\$" "./$dir" >&2 || true
				exit 1
			fi
			echo "fuzz: $fn failed without a failing input:" >&2
			tail -n 15 "$log" >&2
			[ "$attempt" = 2 ] && exit 1
			echo "fuzz: running $fn once more" >&2
		done
	done
done
