#!/usr/bin/env bash
# Builds k8s-validate once per targeted Kubernetes version and prints the binaries' paths, one a line:
#
#   <repo>/.custody/tools/bin/k8s-validate-1.35
#   <repo>/.custody/tools/bin/k8s-validate-1.37
#
# Each targeted version has its own module file: go.mod (the newest) and k8s-<minor>.mod (older ones;
# add one with gen-modfile.sh). The same sources are built with `go build -modfile=...`, so every
# binary carries the API types, defaulting and validation code of exactly that Kubernetes release.
# A build is skipped when the binary's stamp (sources, module files, Go version) is unchanged, so
# calling this before every test run costs milliseconds. Go's module and build caches are shared with
# the rest of the machine (~/go/pkg/mod, ~/.cache/go-build), so a fresh clone rebuilds quickly.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${CUSTODY_ROOT:-$(cd "$here/../.." && pwd)}"
bin_dir="${CUSTODY_HOME:-$root/.custody}/tools/bin"

if ! command -v go >/dev/null 2>&1; then
  echo "k8s-validate/build.sh: 'go' is not on PATH; install Go 1.26 or newer (https://go.dev/doc/install) and re-run." >&2
  exit 1
fi
mkdir -p "$bin_dir"

kube_version() { awk '($1 == "k8s.io/kubernetes" && $2 ~ /^v/) { print $2 } ($1 == "require" && $2 == "k8s.io/kubernetes") { print $3 }' "$1" | head -n1; }

stamp_of() { # modfile
  local sum="${1%.mod}.sum"
  { go env GOVERSION GOOS GOARCH; cat "$1" "$sum"; cat "$here"/*.go; } | sha256sum | cut -d' ' -f1
}

build_one() { # modfile
  local modfile="$1" version minor out stamp
  version="$(kube_version "$modfile")"
  [ -n "$version" ] || { echo "k8s-validate/build.sh: no k8s.io/kubernetes requirement in $modfile" >&2; return 1; }
  minor="${version#v}"; minor="${minor%.*}"
  out="$bin_dir/k8s-validate-$minor"
  stamp="$(stamp_of "$modfile")"
  if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "$out"
    return 0
  fi
  (
    # One build at a time per binary, even when several test workers call this at once.
    exec 9>"$out.lock"
    flock 9
    if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi
    echo "k8s-validate/build.sh: building $(basename "$out") for Kubernetes $version (minutes when Go's build cache is cold, seconds otherwise)" >&2
    local args=(build -trimpath -o "$out.tmp")
    [ "$(basename "$modfile")" = "go.mod" ] || args+=(-modfile "$modfile")
    (cd "$here" && CGO_ENABLED=0 go "${args[@]}" .) >&2
    mv -f "$out.tmp" "$out"
    echo "$stamp" >"$out.stamp"
  )
  echo "$out"
}

for modfile in "$here/go.mod" "$here"/k8s-*.mod; do
  [ -f "$modfile" ] || continue
  build_one "$modfile"
done
