#!/usr/bin/env bash
# Builds the Helm CLI from the Go module proxy into .custody/tools/bin (git-ignored), once per version.
#
#   scripts/helm.sh            prints the path of the helm binary (building it first when needed)
#   scripts/helm.sh ARGS...    runs helm with ARGS (e.g. scripts/helm.sh lint --strict deploy/helm/custody)
#
# Go's own caches (GOMODCACHE, default ~/go/pkg/mod; GOCACHE, default ~/.cache/go-build) are used
# on purpose, so a fresh clone on the same machine rebuilds in seconds instead of minutes.
# Override the version with CUSTODY_HELM_VERSION (a tag of helm.sh/helm/v3).
set -euo pipefail

root="${CUSTODY_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
version="${CUSTODY_HELM_VERSION:-v3.22.0}"
bin_dir="${CUSTODY_HOME:-$root/.custody}/tools/bin"
helm="$bin_dir/helm"

# The module version is stamped into the binary by `go install pkg@version`; `go version -m` reads it
# back, so the check does not depend on how helm reports its own version.
built_version() {
  [ -x "$helm" ] || return 0
  go version -m "$helm" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" { print $3 }'
}

if ! command -v go >/dev/null 2>&1; then
  echo "helm.sh: 'go' is not on PATH. Helm is built from source with Go (1.24 or newer):" >&2
  echo "         install it (https://go.dev/doc/install, or apt-get install golang-go on a recent Debian) and re-run." >&2
  exit 1
fi

if [ "$(built_version)" != "$version" ]; then
  mkdir -p "$bin_dir"
  # Parallel callers (e.g. several Jest workers) wait for one build instead of racing on the binary.
  exec 9>"$bin_dir/.helm.lock"
  flock 9
  if [ "$(built_version)" != "$version" ]; then
    echo "helm.sh: building helm $version from the Go module proxy into $bin_dir (first time only; a few minutes cold)" >&2
    tmp_bin="$(mktemp -d "$bin_dir/.helm-build.XXXXXX")"
    trap 'rm -rf "$tmp_bin"' EXIT
    # CGO off: a static binary, and no C toolchain needed.
    if ! GOBIN="$tmp_bin" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath" go install "helm.sh/helm/v3/cmd/helm@$version" >&2; then
      echo "helm.sh: 'go install helm.sh/helm/v3/cmd/helm@$version' failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))" >&2
      exit 1
    fi
    mv -f "$tmp_bin/helm" "$helm"
  fi
  exec 9>&-
fi

if [ "$#" -eq 0 ]; then
  echo "$helm"
else
  exec "$helm" "$@"
fi
