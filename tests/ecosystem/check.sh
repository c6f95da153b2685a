#!/usr/bin/env bash
# Runs the std, mio and tokio UDP suites of this workspace under every UDP fault preset of
# wouldblock, the std, mio, tokio and wstd TCP suites under every TCP preset and
# dns-slow, and the wstd HTTP suite under every wasi:http preset (through cargo's runner
# variable), and checks each library x preset cell against
# the result recorded in README.md (this folder's): which tests fail, and a pattern their reason must match.
#
#   bash tests/ecosystem/check.sh /abs/path/to/wouldblock
#
# Prints one line per cell, then `N passed, M failed`; exits non-zero if any cell differs.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 /path/to/wouldblock" >&2
  exit 2
fi
wouldblock=$(realpath "$1")
if [ ! -x "$wouldblock" ]; then
  echo "$0: $1 is not an executable wouldblock binary" >&2
  exit 2
fi
case "$wouldblock" in
  *[[:space:]]*)
    # cargo splits the runner variable on whitespace.
    echo "$0: the wouldblock path must not contain whitespace: $wouldblock" >&2
    exit 2
    ;;
esac

cd "$(dirname "$0")"
export CARGO_TERM_COLOR=never
# .cargo/config.toml supplies `--cfg tokio_unstable`; RUSTFLAGS would replace it.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS

crates=(std-udp mio-udp tokio-udp std-tcp mio-tcp tokio-tcp wstd-tcp wstd-http)
# The tests in each suite.
declare -A tests_in=([std-udp]=4 [mio-udp]=4 [tokio-udp]=4 [std-tcp]=5 [mio-tcp]=5 [tokio-tcp]=5 [wstd-tcp]=5 [wstd-http]=4)
# Patterns may use @(a|b): a cell whose failing tests fail for different reasons.
shopt -s extglob

# What each cell gives, found by running every cell repeatedly (README.md explains each).
# crate, fault spec (`-`: none), the tests that fail (`-`: none, `*`: all, else a comma
# list), and a glob every one of their FAIL reasons must match. All other tests must pass.
# TCP suites: `reads` stands for the four tests that read (all but the closed port).
expectations=$(cat <<'EOF'
std-udp   -                            -  -
std-udp   first-send                   -  -
std-udp   first-send:form=would-block  *  panic: *kind: WouldBlock*
std-udp   first-send:form=check-send   -  -
std-udp   enobufs-backpressure         sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
std-udp   enobufs-no-wakeup            sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
std-udp   enobufs-writable             sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
std-udp   icmp-refused                 connected_request_response  unusable-after-error: *kind: ConnectionRefused*answered error(connection-refused)*
std-udp   errqueue-stuck               *  busy-loop: *
mio-udp   -                            -  -
mio-udp   first-send                   sixteen_datagrams_arrive_once_in_order,request_response_round_trip,connected_request_response  busy-loop: *
mio-udp   first-send:form=would-block  sixteen_datagrams_arrive_once_in_order,request_response_round_trip,connected_request_response  busy-loop: *
mio-udp   first-send:form=check-send   sixteen_datagrams_arrive_once_in_order,request_response_round_trip,connected_request_response  busy-loop: *
mio-udp   enobufs-backpressure         sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
mio-udp   enobufs-no-wakeup            sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
mio-udp   enobufs-writable             sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
mio-udp   icmp-refused                 connected_request_response  unusable-after-error: *kind: ConnectionRefused*answered error(connection-refused)*
mio-udp   errqueue-stuck               *  busy-loop: *
tokio-udp -                            -  -
tokio-udp first-send                   -  -
tokio-udp first-send:form=would-block  -  -
tokio-udp first-send:form=check-send   -  -
tokio-udp enobufs-backpressure         sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
tokio-udp enobufs-no-wakeup            sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
tokio-udp enobufs-writable             sixteen_datagrams_arrive_once_in_order  unusable-after-error: *kind: OutOfMemory*answered error(out-of-memory)*
tokio-udp icmp-refused                 connected_request_response  unusable-after-error: *kind: ConnectionRefused*answered error(connection-refused)*
tokio-udp errqueue-stuck               *  busy-loop: *
std-tcp   -                            -  -
std-tcp   tcp-slow-peer                -  -
std-tcp   tcp-backpressure             -  -
std-tcp   tcp-connect-pending          -  -
std-tcp   tcp-reset                    reads  panic: *read: Os { code: 29, kind: Uncategorized*
std-tcp   dns-slow                     -  -
mio-tcp   -                            a_listener_accepts  panic: *accept: Os { code: 28, kind: InvalidInput*
mio-tcp   tcp-slow-peer                a_listener_accepts  panic: *accept: Os { code: 28, kind: InvalidInput*
mio-tcp   tcp-backpressure             a_listener_accepts  panic: *accept: Os { code: 28, kind: InvalidInput*
mio-tcp   tcp-connect-pending          a_listener_accepts  panic: *accept: Os { code: 28, kind: InvalidInput*
mio-tcp   tcp-reset                    reads  panic: *@(accept: Os { code: 28, kind: InvalidInput*|read: Os { code: 29, kind: Uncategorized*)
mio-tcp   dns-slow                     a_listener_accepts  panic: *accept: Os { code: 28, kind: InvalidInput*
tokio-tcp -                            a_listener_accepts,connect_by_name  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*)
tokio-tcp tcp-slow-peer                a_listener_accepts,connect_by_name  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*)
tokio-tcp tcp-backpressure             a_listener_accepts,connect_by_name  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*)
tokio-tcp tcp-connect-pending          a_listener_accepts,connect_by_name  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*)
tokio-tcp tcp-reset                    reads  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*|read: Os { code: 29, kind: Uncategorized*)
tokio-tcp dns-slow                     a_listener_accepts,connect_by_name  panic: *@(accept: Os { code: 28, kind: InvalidInput*|can't spawn worker thread*)
wstd-tcp  -                            -  -
wstd-tcp  tcp-slow-peer                -  -
wstd-tcp  tcp-backpressure             -  -
wstd-tcp  tcp-connect-pending          -  -
wstd-tcp  tcp-reset                    reads  panic: *read: *Connection reset by peer*
wstd-tcp  dns-slow                     -  -
wstd-http -                            -  -
wstd-http http-slow-response           -  -
wstd-http http-slow-body               -  -
wstd-http http-body-backpressure       -  -
wstd-http http-reset-mid-body          bodies_come_back,a_64_kib_body_comes_back,a_get_gets_its_body  panic: *the body*
EOF
)

# Build the test binaries first (no runner involved), so a build error is reported as one.
for crate in "${crates[@]}"; do
  cargo test --locked --quiet --target wasm32-wasip2 -p "$crate" --no-run
done

passed=0
failed=0
while read -r crate fault failing pattern; do
  [ -n "$crate" ] || continue
  [ "$failing" = reads ] && failing=a_listener_accepts,connect_by_name,echo_round_trip,echo_until_the_client_closes
  fault_args=""
  [ "$fault" = "-" ] || fault_args="--fault $fault"
  # A regression that hangs is stopped well before the default 60 s. Every suite runs on
  # the virtual clock, TCP ones too: bytes one end wrote reach the other before time jumps.
  runner="$wouldblock run --time-limit 20 $fault_args --"
  status=0
  output=$(CARGO_TARGET_WASM32_WASIP2_RUNNER="$runner" \
    cargo test --locked --quiet --target wasm32-wasip2 -p "$crate" 2>&1 </dev/null) || status=$?

  # Each test's result: PASS, or the full reason from its evidence block (the FAIL line
  # itself is cut short).
  declare -A got=()
  while IFS= read -r name; do
    got[$name]=PASS
  done < <(sed -nE 's/^ +PASS \[[^]]*\] ([^ ]+)$/\1/p' <<<"$output")
  while IFS=$'\t' read -r name reason; do
    got[$name]="FAIL $reason"
  done < <(sed -nE 's/^ +FAIL \[[^]]*\] ([^ ]+): (.*)$/\1\t\2/p' <<<"$output")
  while IFS=$'\t' read -r name reason; do
    got[$name]="FAIL $reason"
  done < <(awk '/^--- FAIL .* ---$/ { name = $3; if ((getline line) > 0) print name "\t" line }' <<<"$output")

  problems=()
  if ! grep -qE '^ +Summary \[.*\] [0-9]+ tests run:' <<<"$output"; then
    problems+=("no Summary line (status $status)")
  fi
  if [ "${#got[@]}" -ne "${tests_in[$crate]}" ]; then
    problems+=("expected ${tests_in[$crate]} tests, saw ${#got[@]}")
  fi
  expected_failures=0
  for name in "${!got[@]}"; do
    short=${name#tests::}
    if [ "$failing" = "*" ] || [[ ",$failing," == *",$short,"* ]]; then
      expected_failures=$((expected_failures + 1))
      result=${got[$name]}
      if [ "${result%% *}" != FAIL ]; then
        problems+=("$short passed, expected to fail with \`$pattern\`")
      elif [[ ${result#FAIL } != $pattern ]]; then
        problems+=("$short failed with \`${result#FAIL }\`, expected \`$pattern\`")
      fi
    elif [ "${got[$name]}" != PASS ]; then
      problems+=("$short: ${got[$name]:0:200}")
    fi
  done
  if [ "$failing" != "-" ] && [ "$failing" != "*" ]; then
    IFS=, read -r -a listed <<<"$failing"
    for short in "${listed[@]}"; do
      [ -n "${got[tests::$short]+set}" ] || problems+=("$short did not run")
    done
  fi
  if { [ "$expected_failures" -eq 0 ] && [ "$status" -ne 0 ]; } ||
    { [ "$expected_failures" -gt 0 ] && [ "$status" -eq 0 ]; }; then
    problems+=("cargo test exited $status")
  fi
  unset got

  if [ "$fault" = "-" ]; then cell="$crate (no fault)"; else cell="$crate --fault $fault"; fi
  if [ "$failing" = "-" ]; then want="passes"; else want="$expected_failures failing as expected: $pattern"; fi
  if [ "${#problems[@]}" -eq 0 ]; then
    passed=$((passed + 1))
    printf 'ok    %-48s %s\n' "$cell" "$want"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-48s %s\n' "$cell" "${problems[0]}"
    for problem in "${problems[@]:1}"; do printf '      %-48s %s\n' "" "$problem"; done
    tail -n 40 <<<"$output" | sed 's/^/      | /'
  fi
done <<<"$expectations"

# Each suite explored whole (`wouldblock explore` as the cargo runner: every test its own
# fault-free runs, sites and findings), summarised per test as its status and its distinct
# findings (operation: fault -> verdict @ the code it is attributed to: `your code`, a
# crate, `std / wasi-libc`), and compared with explore-expected.txt.
explored=$(mktemp -d)
trap 'rm -rf "$explored"' EXIT
summary=""
for crate in "${crates[@]}"; do
  runner="$wouldblock explore --out $explored/$crate --json $explored/$crate.json --"
  CARGO_TARGET_WASM32_WASIP2_RUNNER="$runner" \
    cargo test --locked --quiet --target wasm32-wasip2 -p "$crate" >"$explored/$crate.out" 2>&1 </dev/null || true
  if [ ! -s "$explored/$crate.json" ]; then
    summary+="$crate: no report"$'\n'
    continue
  fi
  summary+=$(python3 - "$crate" "$explored/$crate.json" <<'PY'
import json, sys
crate, path = sys.argv[1], sys.argv[2]
for test in json.load(open(path))["tests"]:
    found = sorted({
        f"{f['site'].split(' ')[0]}: {f['fault'].split(',')[0]} -> {f['verdict']}"
        + (f" @ {f['culprit'].split(' (')[0]}" if f.get("culprit") else "")
        for f in test["report"]["findings"]
    })
    print(f"{crate} {test['name'].removeprefix('tests::')} {test['status']}" + "".join(f" | {x}" for x in found))
PY
)$'\n'
done
if diff -u explore-expected.txt <(printf '%s' "$summary") >"$explored/diff"; then
  passed=$((passed + 1))
  echo "ok    explore, every suite whole                      $(wc -l <explore-expected.txt) tests as expected"
else
  failed=$((failed + 1))
  echo "FAIL  explore, every suite whole: differs from explore-expected.txt"
  sed 's/^/      | /' "$explored/diff"
fi

# Every distinct finding on these correct programs is listed in docs/suites-and-ci.md with its reason.
missing=0
while IFS= read -r finding; do
  if ! grep -qF "| \`$finding\` |" ../../docs/suites-and-ci.md; then
    echo "FAIL  docs/suites-and-ci.md does not list the finding \`$finding\`"
    missing=1
  fi
done < <(tr '|' '\n' <explore-expected.txt | grep -- '->' | sed 's/ @ .*//; s/^ *//; s/ *$//' | sort -u)
if [ "$missing" -eq 0 ]; then
  passed=$((passed + 1))
  echo "ok    docs/suites-and-ci.md lists every finding on these suites"
else
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
