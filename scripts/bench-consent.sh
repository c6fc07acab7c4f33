#!/usr/bin/env bash
# npm run bench:consent — appends/s into the consent log and inclusion-proof latency at
# 1,000,000 leaves, against the real PostgreSQL (a scratch schema, dropped afterwards).
#   bash scripts/bench-consent.sh [--leaves N] [--batch N] [--samples N]
# Uses DATABASE_URL / MIGRATION_DATABASE_URL when set, else the local stack (started if needed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=node-env.sh
source "$ROOT/scripts/node-env.sh"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
if [ -z "${DATABASE_URL:-}" ]; then
  bash "$ROOT/scripts/stack.sh" up >/dev/null
  eval "$(bash "$ROOT/scripts/stack.sh" env)"
else
  export MIGRATION_DATABASE_URL="${MIGRATION_DATABASE_URL:-$DATABASE_URL}"
fi
npx --no-install turbo run build --filter=@custody/consent --output-logs=errors-only >/dev/null
exec node "$ROOT/scripts/bench-consent.mjs" "$@"
