#!/usr/bin/env bash
# Builds page/bundle.js and its source map page/bundle.js.map (committed, so the tests need no
# bundler; the test uploads the map) from page/page.js with the pinned SDKs of
# package-lock.json: `cd tests/clients/browser && npm ci && ./build.sh`.
set -euo pipefail
cd "$(dirname "$0")"
npx esbuild page/page.js --bundle --minify --format=iife --target=chrome120 \
    --keep-names --legal-comments=none --sourcemap=external --outfile=page/bundle.js
