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

# The binary is current when it was built from the module at $version (`go version -m` reads what
# `go install pkg@version` stamped in) and reports $version itself (only our ldflags set that).
built_version() {
  [ -x "$helm" ] || return 0
  local module reported
  module="$(go version -m "$helm" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" { print $3 }')"
  reported="$("$helm" version --template '{{.Version}}' 2>/dev/null || true)"
  [ "$module" = "$reported" ] && echo "$module"
}

# The link flags of Helm's own release build (its Makefile): without them a `go install`ed helm says
# it is "v3.22" and, worse, assumes Kubernetes v1.20 for `helm template`/`helm lint` (.Capabilities,
# kubeVersion checks, deprecation lint). The Kubernetes version comes from helm's client-go
# requirement, as in the Makefile. (The git commit is left out: the module proxy does not record it.)
release_ldflags() {
  local info gomod client_go minor
  info="$(go mod download -json "helm.sh/helm/v3@$version")" || return 1
  gomod="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")"   # v0.37.0
  minor="$(echo "$client_go" | cut -d. -f2)"
  [ -n "$minor" ] || { echo "helm.sh: cannot read helm's client-go version from $gomod" >&2; return 1; }
  local v="helm.sh/helm/v3/internal/version" k="k8sVersion"
  printf '%s' "-s -w -X $v.version=$version -X $v.gitTreeState=clean" \
    " -X helm.sh/helm/v3/pkg/lint/rules.${k}Major=1 -X helm.sh/helm/v3/pkg/lint/rules.${k}Minor=$minor" \
    " -X helm.sh/helm/v3/pkg/chartutil.${k}Major=1 -X helm.sh/helm/v3/pkg/chartutil.${k}Minor=$minor"
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
    echo "helm.sh: building helm $version from the Go module proxy into $bin_dir (minutes when Go's caches are cold, seconds otherwise)" >&2
    tmp_bin="$(mktemp -d "$bin_dir/.helm-build.XXXXXX")"
    trap 'rm -rf "$tmp_bin"' EXIT
    ldflags="$(release_ldflags)" || { echo "helm.sh: cannot resolve helm.sh/helm/v3@$version on the Go module proxy (GOPROXY=$(go env GOPROXY))" >&2; exit 1; }
    # CGO off: a static binary, and no C toolchain needed.
    if ! GOBIN="$tmp_bin" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version" >&2; then
      echo "helm.sh: 'go install helm.sh/helm/v3/cmd/helm@$version' failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))" >&2
      exit 1
    fi
    mv -f "$tmp_bin/helm" "$helm"
    rm -rf "$tmp_bin"
    trap - EXIT
  fi
  exec 9>&-
fi

if [ "$#" -eq 0 ]; then
  echo "$helm"
else
  exec "$helm" "$@"
fi
