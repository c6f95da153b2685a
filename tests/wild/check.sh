#!/usr/bin/env bash
# Explores client libraries nobody here wrote against their real servers, through
# `cargo wouldblock explore`, which starts the servers this workspace's
# .config/wouldblock.toml names (redis-server, Python's http.server, a WebSocket echo
# server with python3-websockets) on free loopback ports and stops them after. Each suite
# is explored twice, and the check is that
#   - every test is explored (none FLAKY), with the status and findings in
#     explore-expected.txt, and
#   - the second exploration tried exactly the trials of the first, test by test.
#
#   bash tests/wild/check.sh /abs/path/to/target/debug    (holding wouldblock and cargo-wouldblock)
#
# Prints one line per check, then `N passed, M failed`; exits non-zero if any check fails.
set -euo pipefail

if [ "$#" -ne 1 ] || [ ! -x "$1/wouldblock" ] || [ ! -x "$1/cargo-wouldblock" ]; then
  echo "usage: $0 DIR   (DIR holds the wouldblock and cargo-wouldblock binaries)" >&2
  exit 2
fi
PATH="$(realpath "$1"):$PATH"
cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
# Debian's python3 has python3-websockets; a pyenv or venv python3 may not.
python=/usr/bin/python3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crates=(redis-sync redis-tokio ureq-http tungstenite-ws)
passed=0
failed=0

# One line per test: crate, test, status, distinct findings; and its trial count apart.
summarise() {
  "$python" - "$1" "$2" <<'PY'
import json, sys
crate, path = sys.argv[1], sys.argv[2]
for test in json.load(open(path))["tests"]:
    found = sorted({
        f"{f['site'].split(' ')[0]}: {f['fault'].split(',')[0]} -> {f['verdict']}"
        for f in test["report"]["findings"]
    })
    name = test["name"].removeprefix("tests::")
    print(f"{crate} {name} {test['status']}" + "".join(f" | {x}" for x in found))
    print(f"{crate} {name} trials {test['report']['trials']}", file=sys.stderr)
PY
}

for round in 1 2; do
  summary=""
  for crate in "${crates[@]}"; do
    dir="$work/reports-$round/$crate"
    cargo wouldblock explore --locked --release -p "$crate" --report-dir "$dir" \
      >"$work/$crate-$round.out" 2>&1 </dev/null || true
    json=$(find "$dir" -name "${crate//-/_}-*.json" | head -1)
    if [ -z "$json" ]; then
      summary+="$crate: no report"$'\n'
      tail -n 20 "$work/$crate-$round.out" | sed 's/^/      | /' >&2
      continue
    fi
    summary+=$(summarise "$crate" "$json" 2>>"$work/trials-$round")$'\n'
  done
  if diff -u explore-expected.txt <(printf '%s' "$summary") >"$work/diff"; then
    passed=$((passed + 1))
    echo "ok    exploration $round: $(wc -l <explore-expected.txt) tests as expected, none flaky"
  else
    failed=$((failed + 1))
    echo "FAIL  exploration $round differs from explore-expected.txt"
    sed 's/^/      | /' "$work/diff"
  fi
done

if diff -u "$work/trials-1" "$work/trials-2" >"$work/diff"; then
  passed=$((passed + 1))
  echo "ok    the two explorations tried the same trials: $(awk '{ n += $4 } END { print n }' "$work/trials-1") in all"
else
  failed=$((failed + 1))
  echo "FAIL  the two explorations tried different trials"
  sed 's/^/      | /' "$work/diff"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
