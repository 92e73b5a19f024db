#!/usr/bin/env bash
# Builds and runs the Go program with zap from Debian's golang-go.uber-zap-dev (GOPATH mode).
# Usage: run.sh OUT TRUTH COUNT
set -euo pipefail
cd "$(dirname "$0")"
build=$(mktemp -d)
mkdir -p "$build/src/corpus" && cp main.go "$build/src/corpus/"
(cd "$build/src/corpus" && GO111MODULE=off GOPATH="$build:/usr/share/gocode" go build -o "$build/corpus" .)
"$build/corpus" "$1" "$2" "$3"
rm -rf "$build"
