#!/usr/bin/env bash
# Builds the C programs of guest/c/programs into wasm32-wasip2 components beside their
# sources, and writes built-from.txt: the clang that built them, the hash of every input
# and the hash of every component. guests/tests/c_components.rs fails when an input
# changed without this being run again; CI runs it and fails if a byte differs.
#
# Needs Debian's clang-14 and libclang-rt-14-dev-wasm32 (CLANG=... for another clang)
# and the pinned Rust toolchain's wasm32-wasip2 target: wasi-libc's libc.a and
# crt1-command.o come from it, and so do the linkers (wasm-component-ld, which runs
# gcc-ld/wasm-ld and turns the module into a component).
set -euo pipefail
cd "$(dirname "$0")"
clang=${CLANG:-clang-14}

# Every flag a component depends on, but the variant's own (in `programs`).
FLAGS=(--target=wasm32-wasi -D__wasilibc_use_wasip2 -std=c11 -O2 -Wall -Wextra -Werror -s)

sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
bin="$sysroot/lib/rustlib/$host/bin"
lib="$sysroot/lib/rustlib/wasm32-wasip2/lib/self-contained"
for file in "$bin/wasm-component-ld" "$bin/gcc-ld/wasm-ld" "$lib/libc.a" "$lib/crt1-command.o"; do
  [ -e "$file" ] || { echo "build.sh: $file is missing: rustup target add wasm32-wasip2" >&2; exit 1; }
done
command -v "$clang" >/dev/null || {
  echo "build.sh: $clang not found: apt-get install clang-14 libclang-rt-14-dev-wasm32" >&2
  exit 1
}

# A sysroot in clang's layout for wasm32-wasi: the vendored headers, and Rust's libc.a
# and crt1-command.o as lib/wasm32-wasi. --sysroot, not -isystem: musl's stddef.h must
# not hide clang's.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sysroot/lib"
ln -s "$PWD/sysroot/include" "$tmp/sysroot/include"
ln -s "$lib" "$tmp/sysroot/lib/wasm32-wasi"

names=()
while read -r name source flags; do
  case "$name" in '' | '#'*) continue ;; esac
  grep -q "^//! $name: " "$source" || {
    echo "build.sh: $source has no \`//! $name: ...\` summary line" >&2
    exit 1
  }
  # shellcheck disable=SC2086 # flags is a list of -D options
  "$clang" "${FLAGS[@]}" $flags --sysroot="$tmp/sysroot" \
    -fuse-ld="$bin/wasm-component-ld" -Wl,--wasm-ld-path="$bin/gcc-ld/wasm-ld" \
    "$source" -o "$tmp/$name.wasm"
  names+=("$name")
done <programs

# The inputs, as guests/tests/c_components.rs hashes them: the clang line, then
# `sha256  path` for every file here but the outputs and the docs, and the toolchain
# file (Rust's libc.a and linkers), sorted by path byte for byte.
clang_line="clang: $("$clang" --version | head -n 1)"
inputs=$({
  echo "$clang_line"
  { find . -type f ! -name '*.wasm' ! -name '*.md' ! -name built-from.txt | sed 's|^\./||'
    echo ../../rust-toolchain.toml; } | LC_ALL=C sort | while read -r path; do
    sha256sum "$path"
  done
} | sha256sum | cut -d' ' -f1)

rm -f ./*.wasm
{
  echo "# Written by guest/c/build.sh: what the components beside it were built from."
  echo "# guests/tests/c_components.rs recomputes the inputs hash and each component's."
  echo "$clang_line"
  echo "inputs: $inputs"
  for name in "${names[@]}"; do
    mv "$tmp/$name.wasm" "$name.wasm"
    echo "component: $(sha256sum "$name.wasm" | cut -d' ' -f1) $name.wasm"
  done
} >built-from.txt
for name in "${names[@]}"; do
  echo "built guest/c/$name.wasm ($(wc -c <"$name.wasm") bytes)"
done
