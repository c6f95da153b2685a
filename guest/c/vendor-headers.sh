#!/usr/bin/env bash
# Re-vendors guest/c/sysroot/include from the `ziglang` wheel on PyPI (its copy of
# wasi-libc's headers and musl's): only the headers the programs in guest/c/programs
# include, found with `clang -M` against the wheel's whole set, and the licences.
# Needs python3 with pip, unzip and clang-14. Then run guest/c/build.sh.
#
#   bash guest/c/vendor-headers.sh            # the version named in sysroot/README.md
#   ZIGLANG_VERSION=0.17.1 bash guest/c/vendor-headers.sh
set -euo pipefail
cd "$(dirname "$0")"
version=${ZIGLANG_VERSION:-0.17.1}
clang=${CLANG:-clang-14}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux_2_12_x86_64 "ziglang==$version" -d "$tmp/wheel"
unzip -q "$tmp"/wheel/ziglang-*.whl -d "$tmp/zig" \
  'ziglang/lib/libc/include/generic-musl/*' 'ziglang/lib/libc/include/wasm-wasi-musl/*' \
  'ziglang/lib/libc/wasi/LICENSE*' 'ziglang/lib/libc/wasi/libc-bottom-half/cloudlibc/LICENSE' \
  'ziglang/lib/libc/musl/COPYRIGHT'
libc="$tmp/zig/ziglang/lib/libc"

# The layout clang's --sysroot reads for wasm32-wasi: include/wasm32-wasi (wasi-libc's
# own headers, searched first) over include (musl's generic ones).
full="$tmp/full"
mkdir -p "$full/include/wasm32-wasi"
cp -r "$libc/include/generic-musl/." "$full/include/"
cp -r "$libc/include/wasm-wasi-musl/." "$full/include/wasm32-wasi/"

needed="$tmp/needed"
grep -v '^#' programs | while read -r _name source flags; do
  [ -n "$source" ] || continue
  # shellcheck disable=SC2086 # flags is a list of -D options
  "$clang" --target=wasm32-wasi --sysroot="$full" -D__wasilibc_use_wasip2 -std=c11 \
    $flags -M "$source"
done | tr ' ' '\n' | grep "^$full/" | sort -u >"$needed"

rm -rf sysroot/include sysroot/licenses
mkdir -p sysroot/licenses
while read -r file; do
  rel=${file#"$full/"}
  mkdir -p "sysroot/$(dirname "$rel")"
  cp "$file" "sysroot/$rel"
done <"$needed"
for licence in LICENSE LICENSE-APACHE LICENSE-APACHE-LLVM LICENSE-MIT; do
  cp "$libc/wasi/$licence" "sysroot/licenses/wasi-libc-$licence"
done
cp "$libc/wasi/libc-bottom-half/cloudlibc/LICENSE" sysroot/licenses/cloudlibc-LICENSE
cp "$libc/musl/COPYRIGHT" sysroot/licenses/musl-COPYRIGHT
echo "vendored $(wc -l <"$needed") headers from ziglang $version ($(du -sh sysroot | cut -f1))"
