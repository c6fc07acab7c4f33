#!/usr/bin/env bash
# The one entry point behind the npm scripts: puts Node 24 on PATH (fetching it when the
# machine's node is older), installs npm packages when the lockfile changed, and runs a command.
#   run.sh start          the whole platform, ready for a tenant's first request (Ctrl-C stops it)
#   run.sh test           every suite against a real Kafka and PostgreSQL, started and stopped here
#   run.sh stack up|down|status|env
#   run.sh migrate        apply every service's migrations to $MIGRATION_DATABASE_URL
#   run.sh chaos [--short] the fault suite against the local stack (scripts/chaos.mjs)
#   run.sh exec CMD...    run a project binary (turbo, jest, ...) with the right Node
# Environments sharing the local broker keep to topics of their own (KAFKA_TOPIC_PREFIX): `npm start`
# uses `custody`, each benchmark run `custody-bench-<random>`, each integration test file
# `custody-test-<random>` (see docs/operations.md, "Environments sharing a broker").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=node-env.sh
source "$ROOT/scripts/node-env.sh"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
# kafkajs 2.2.4 schedules a timer with a negative delay on Node 24 (harmless; tulios/kafkajs#1751).
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning ${NODE_OPTIONS:-}"

ensure_packages() {
  local stamp="$ROOT/node_modules/.custody-lock-sha"
  local want
  want="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node -v)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
}

stack_env() {
  # KAFKA_BROKERS / DATABASE_URL given by the caller win over the local stack.
  # With a DATABASE_URL of your own, give DATABASE_PLATFORM_URL too (the platform role's login):
  # the services refuse to start without it.
  local given_kafka="${KAFKA_BROKERS:-}" given_db="${DATABASE_URL:-}" given_mig="${MIGRATION_DATABASE_URL:-}"
  local given_platform="${DATABASE_PLATFORM_URL:-}"
  eval "$(bash "$ROOT/scripts/stack.sh" env "$@")"
  [ -n "$given_kafka" ] && export KAFKA_BROKERS="$given_kafka"
  if [ -n "$given_db" ]; then
    export DATABASE_URL="$given_db"
    export MIGRATION_DATABASE_URL="${given_mig:-$given_db}"
    [ -n "$given_platform" ] && export DATABASE_PLATFORM_URL="$given_platform"
  fi
  return 0
}

build() {
  echo "build: turbo run build"
  npx --no-install turbo run build --output-logs=errors-only
}

migrate() {
  for app in tenant-store consent marketing-export ingest; do
    node "apps/$app/dist/migrate.js"
  done
}

# test/e2e/environments starts a second environment beside the tests' own, on a database of its
# own on the same server: custody_test_peer on the local stack (its migrations are applied by the
# test; every database URL the stack exports, with CUSTODY_PEER_ before its name); with a
# DATABASE_URL of your own, set CUSTODY_PEER_DATABASE_URL, CUSTODY_PEER_DATABASE_PLATFORM_URL and
# CUSTODY_PEER_MIGRATION_DATABASE_URL to a second database.
peer_db() {
  if [ -n "${CUSTODY_PEER_DATABASE_URL:-}" ] || [ -n "$CUSTODY_GIVEN_DB" ]; then
    return 0
  fi
  bash "$ROOT/scripts/stack.sh" db custody_test_peer >/dev/null
  eval "$(DATABASE_URL='' MIGRATION_DATABASE_URL='' DATABASE_PLATFORM_URL='' bash "$ROOT/scripts/stack.sh" env --db custody_test_peer |
    sed -n 's/^export \([A-Z_]*DATABASE_[A-Z_]*URL\)=/export CUSTODY_PEER_\1=/p')"
}

# Several commands may share the local stack (`npm start` in one terminal, `npm test` or a
# benchmark in another). Each registers itself under $CUSTODY_HOME/stack-users while it runs; the
# one that started the stack stops it when it ends, unless another is still using it: then the
# last of those stops it (CUSTODY_KEEP_STACK=1: nobody does).
stack_users="$CUSTODY_HOME/stack-users"
claim_stack() {
  started_stack=0
  bash "$ROOT/scripts/stack.sh" status >/dev/null 2>&1 || started_stack=1
  mkdir -p "$stack_users"
  [ "$started_stack" = 0 ] || rm -f "$stack_users/stop-when-last"
  : >"$stack_users/$$"
}
release_stack() {
  rm -f "$stack_users/$$"
  local f pid others=0
  for f in "$stack_users"/[0-9]*; do
    [ -e "$f" ] || continue
    pid="$(basename "$f")"
    if kill -0 "$pid" 2>/dev/null; then others=$((others + 1)); else rm -f "$f"; fi
  done
  if [ "$started_stack" != 1 ] && [ ! -e "$stack_users/stop-when-last" ]; then
    return 0
  fi
  if [ "${CUSTODY_KEEP_STACK:-0}" = 1 ]; then
    rm -f "$stack_users/stop-when-last"
  elif [ "$others" -gt 0 ]; then
    echo "stack: left running for $others other command(s) using it; the last of them stops it"
    : >"$stack_users/stop-when-last"
  else
    rm -f "$stack_users/stop-when-last"
    bash "$ROOT/scripts/stack.sh" down || true
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  stack)
    exec bash "$ROOT/scripts/stack.sh" "$@"
    ;;
  exec)
    ensure_packages
    exec npx --no-install "$@"
    ;;
  node)
    ensure_packages
    exec node "$@"
    ;;
  bench)
    # run.sh bench SCRIPT [ARGS]: against a database of its own on the local stack
    ensure_packages
    # A broker this starts gets the full JIT (C2): the stack's default (C1 only) starts ~3 s
    # sooner but runs the broker's hot code slower, which is not what a benchmark should measure.
    export KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
    claim_stack
    bash "$ROOT/scripts/stack.sh" up
    [ -n "${DATABASE_URL:-}" ] || bash "$ROOT/scripts/stack.sh" db custody_bench >/dev/null
    stack_env --db custody_bench
    # Topics of its own, created and deleted by scripts/lib/platform-processes.mjs.
    export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-custody-bench}"
    build
    migrate
    status=0
    script="$1"
    shift
    node "$script" "$@" || status=$?
    release_stack
    exit "$status"
    ;;
  chaos)
    # run.sh chaos [--short]: the fault suite (scripts/chaos.mjs). It restarts the local broker and
    # PostgreSQL, so it needs the local stack (not KAFKA_BROKERS / DATABASE_URL of your own).
    ensure_packages
    if [ -n "${KAFKA_BROKERS:-}" ] || [ -n "${DATABASE_URL:-}" ]; then
      echo "chaos: restarts the local broker and PostgreSQL; unset KAFKA_BROKERS and DATABASE_URL" >&2
      exit 2
    fi
    claim_stack
    bash "$ROOT/scripts/stack.sh" up
    bash "$ROOT/scripts/stack.sh" db custody_chaos >/dev/null
    stack_env --db custody_chaos
    # Topics of its own, created and deleted by scripts/lib/platform-processes.mjs.
    export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-custody-chaos}"
    build
    migrate
    status=0
    node scripts/chaos.mjs "$@" || status=$?
    release_stack
    exit "$status"
    ;;
  lint)
    ensure_packages
    npx --no-install turbo run lint --output-logs=errors-only
    npx --no-install eslint test --max-warnings 0
    npx --no-install prettier --check . --log-level warn
    ;;
  migrate)
    ensure_packages
    build
    migrate
    ;;
  openapi)
    # Regenerate docs/openapi/*.json from the built apps (needs the stack for their start-up).
    ensure_packages
    bash "$ROOT/scripts/stack.sh" up
    stack_env --test
    export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-custody-openapi}"
    build
    migrate
    node scripts/openapi.mjs "$@"
    ;;
  start)
    ensure_packages
    claim_stack
    bash "$ROOT/scripts/stack.sh" up
    stack_env
    build
    node libs/kafka/dist/create-topics.js
    migrate
    status=0
    node scripts/start-platform.mjs "$@" || status=$?
    release_stack
    exit "$status"
    ;;
  test)
    test_started_at="$(date +%s)"
    ensure_packages
    claim_stack
    cleanup() {
      release_stack
    }
    trap cleanup EXIT
    # The Helm CLI and the manifest validators are Go builds (minutes when Go's caches are cold,
    # seconds when warm): build them alongside the rest, wait for them before the chart suite.
    mkdir -p "$CUSTODY_HOME/logs"
    # note-verify (Go's sumdb/note, for the consent log's checkpoint test) is built the same way.
    (bash "$ROOT/scripts/helm.sh" && bash "$ROOT/tools/k8s-validate/build.sh" && bash "$ROOT/tools/note-verify/build.sh") >"$CUSTODY_HOME/logs/helm-tools.log" 2>&1 &
    helm_tools=$!
    CUSTODY_GIVEN_DB="${DATABASE_URL:-}"
    CUSTODY_GIVEN_KAFKA="${KAFKA_BROKERS:-}"
    bash "$ROOT/scripts/stack.sh" up
    stack_env --test
    peer_db
    # Every integration test file and every app the OpenAPI check starts gets topics of its own
    # under this prefix (test/kafka-environment.js, scripts/lib/platform-processes.mjs), so a
    # platform running beside the tests (`npm start`: `custody`) never sees their events.
    export KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-custody-test}"
    echo "test: build (type-check) and lint"
    npx --no-install turbo run build --output-logs=errors-only
    npx --no-install tsc -p tsconfig.json --noEmit
    npx --no-install eslint . --max-warnings 0
    npx --no-install prettier --check . --log-level warn
    echo "test: migrations"
    migrate
    echo "test: OpenAPI documents match the code"
    node scripts/openapi.mjs --check
    if ! wait "$helm_tools"; then
      echo "test: building the Helm CLI, the manifest validator or note-verify failed:" >&2
      tail -20 "$CUSTODY_HOME/logs/helm-tools.log" >&2
      exit 1
    fi
    echo "test: jest"
    export NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}"
    # Unit and chart suites in parallel; the integration suites one file at a time, because each
    # file starts its own platform (and simulated network) on the one shared broker and database.
    # A Jest process that dies of a signal (Node 24 with --experimental-vm-modules has segfaulted
    # once in a few hundred runs) is run once more, saying so; a test that fails is never re-run.
    jest_once_more_on_crash() {
      local status=0
      npx --no-install jest "$@" || status=$?
      if [ "$status" -ge 128 ]; then
        echo "test: jest died of signal $((status - 128)) (a crash of the runtime, not a failed test): running it once more" >&2
        status=0
        npx --no-install jest "$@" || status=$?
      fi
      return "$status"
    }
    results="$CUSTODY_HOME/logs/jest"
    mkdir -p "$results"
    rm -f "$results"/*.json
    jest_once_more_on_crash --selectProjects unit helm --json --outputFile="$results/unit.json" "$@"
    jest_once_more_on_crash --selectProjects integration --runInBand --forceExit --json --outputFile="$results/integration.json" "$@"
    extra_phases=""
    # Property-based fuzzing of every service's OpenAPI (schemathesis from PyPI in a venv it makes,
    # a few minutes): the whole run only, not when jest was given a selection; CUSTODY_FUZZ=0 skips it.
    if [ "$#" -eq 0 ] && [ "${CUSTODY_FUZZ:-1}" = 1 ]; then
      echo "test: API fuzzing (schemathesis)"
      node scripts/fuzz-api.mjs
      extra_phases+="API fuzzing (schemathesis, every service's OpenAPI): passed"$'\n'
    fi
    # The fault suite's short form (one kill -9 per app, one broker restart; docs/reliability.md),
    # last, because it restarts the broker. Only on the local stack, whose servers it may restart;
    # with Jest arguments (a chosen subset) it is left out.
    if [ "$#" -eq 0 ]; then
      if [ -n "$CUSTODY_GIVEN_DB" ] || [ -n "$CUSTODY_GIVEN_KAFKA" ]; then
        echo "test: fault suite not run: it restarts the local broker, and KAFKA_BROKERS / DATABASE_URL name your own (run npm run chaos on the local stack)"
      else
        echo "test: fault suite (short): npm run chaos -- --short"
        bash "$ROOT/scripts/stack.sh" db custody_chaos >/dev/null
        (
          DATABASE_URL='' MIGRATION_DATABASE_URL='' DATABASE_PLATFORM_URL=''
          eval "$(bash "$ROOT/scripts/stack.sh" env --db custody_chaos)"
          export KAFKA_TOPIC_PREFIX=custody-chaos
          migrate >/dev/null
          node scripts/chaos.mjs --short
        )
        extra_phases+="fault suite (chaos --short): passed, 0 lost"$'\n'
      fi
    fi
    # The stack is stopped first, so that the summary (Jest's format) is the end of the log.
    release_stack
    trap - EXIT
    CUSTODY_TEST_EXTRA_PHASES="$extra_phases" CUSTODY_TEST_STARTED_AT="$test_started_at" node scripts/lib/test-summary.mjs \
      "unit and Helm chart=$results/unit.json" "integration and end-to-end=$results/integration.json"
    ;;
  *)
    echo "usage: run.sh start|test|stack ...|migrate|exec CMD" >&2
    exit 2
    ;;
esac
