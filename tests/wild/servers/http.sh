#!/bin/sh
# Python's http.server on 127.0.0.1:$1 over the two files the ureq suite reads: a small
# text file and 1 MiB whose byte i is i % 251. Debian's python3 (/usr/bin/python3).
set -eu
www=$(mktemp -d)
trap 'rm -rf "$www"' EXIT
printf 'hello from a real server\n' >"$www/small.txt"
/usr/bin/python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes(i % 251 for i in range(1 << 20)))' "$www/large.bin"
/usr/bin/python3 -m http.server "$1" --bind 127.0.0.1 --directory "$www" &
child=$!
trap 'kill "$child" 2>/dev/null; rm -rf "$www"' EXIT TERM INT
wait "$child"
