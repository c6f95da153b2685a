#!/usr/bin/env bash
# Runs the std, mio and tokio UDP suites of this workspace under every fault preset of
# wouldblock (through cargo's runner variable) and checks each library x preset cell against
# the result recorded in README.md: which tests fail, and a pattern their reason must match.
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

crates=(std-udp mio-udp tokio-udp)

# What each cell gives, found by running every cell repeatedly (README.md explains each).
# crate, fault spec (`-`: none), the tests that fail (`-`: none, `*`: all, else a comma
# list), and a glob every one of their FAIL reasons must match. All other tests must pass.
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
  fault_args=""
  [ "$fault" = "-" ] || fault_args="--fault $fault"
  # A regression that hangs is stopped well before the default 60 s.
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
  if [ "${#got[@]}" -ne 4 ]; then
    problems+=("expected 4 tests, saw ${#got[@]}")
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
