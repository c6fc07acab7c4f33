#!/usr/bin/env bash
# Builds note-verify (Go's sumdb/note and sumdb/tlog, from the Go module proxy) into
# <repo>/.custody/tools/bin/note-verify and prints its path. Skipped when the binary's stamp
# (sources, go.mod, go.sum, Go version) is unchanged, so calling this before every test costs
# milliseconds; Go's module and build caches (~/go/pkg/mod, ~/.cache/go-build) are shared with the
# rest of the machine, so a fresh clone builds in seconds once they are warm.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${CUSTODY_ROOT:-$(cd "$here/../.." && pwd)}"
bin_dir="${CUSTODY_HOME:-$root/.custody}/tools/bin"
out="$bin_dir/note-verify"

if ! command -v go >/dev/null 2>&1; then
  echo "note-verify/build.sh: 'go' is not on PATH; install Go 1.26 or newer (https://go.dev/doc/install) and re-run." >&2
  exit 1
fi
mkdir -p "$bin_dir"
stamp="$({ go env GOVERSION GOOS GOARCH; cat "$here/go.mod" "$here/go.sum" "$here"/*.go; } | sha256sum | cut -d' ' -f1)"
if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out"
  exit 0
fi
exec 9>"$out.lock"
flock 9
if ! { [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; }; then
  echo "note-verify/build.sh: building note-verify with golang.org/x/mod from the Go module proxy" >&2
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" .) >&2
  mv -f "$out.tmp" "$out"
  echo "$stamp" >"$out.stamp"
fi
echo "$out"
