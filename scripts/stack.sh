#!/usr/bin/env bash
# Local dev/test stack for Custody: a real single-node Apache Kafka broker (KRaft) and a real
# PostgreSQL cluster, both living under $CUSTODY_HOME (default <repo>/.custody, git-ignored).
#
#   scripts/stack.sh up            start what is not running (idempotent)
#   scripts/stack.sh down          stop both (idempotent)
#   scripts/stack.sh status        print the state of each; exit 0 if both are up, 3 if not
#   scripts/stack.sh env [--test]  print `export` lines for the stack (--test: the custody_test db)
#   scripts/stack.sh reset         down, then delete the data dirs (keeps the Kafka jar cache)
#   scripts/stack.sh restart kafka|postgres   stop one server and start it again (the fault suite)
#
# Overrides (environment):
#   KAFKA_BROKERS          set: use these brokers, never start the local Kafka
#   DATABASE_URL           set: use this database, never start the local PostgreSQL
#   CUSTODY_HOME           where everything lives (default <repo>/.custody)
#   KAFKA_PORT             broker port      (default 9092)
#   KAFKA_CONTROLLER_PORT  controller port  (default 9093)
#   PGPORT_CUSTODY         PostgreSQL port  (default 5433, not 5432: no clash with a system cluster)
#   CUSTODY_KAFKA_VERSION  Kafka version from Maven Central (default pinned below, see docs/stack.md)
#   KAFKA_HEAP_OPTS        broker heap (default "-Xms256m -Xmx768m")
#   KAFKA_JVM_PERFORMANCE_OPTS  GC/JIT flags (default G1, C1-only JIT for a fast start)
#   KAFKA_LOG_LEVEL        root log level of the broker's server.log (default WARN)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker (default 90)
#
# Passwords below are local dev-only defaults; production gets its credentials from secrets.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CUSTODY_HOME="${CUSTODY_HOME:-$ROOT/.custody}"
mkdir -p "$CUSTODY_HOME"
CUSTODY_HOME="$(cd "$CUSTODY_HOME" && pwd)"

KAFKA_VERSION="${CUSTODY_KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
# C1-only JIT: the broker is up ~3 s sooner on 2 cores and leaves the CPU to the tests.
KAFKA_JVM_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
PG_PORT="${PGPORT_CUSTODY:-5433}"
HOST=127.0.0.1

KDIR="$CUSTODY_HOME/kafka"
K_LIBS="$KDIR/libs"
K_CONF="$KDIR/config"
K_DATA="$KDIR/data"
K_LOGS="$KDIR/logs"
K_PID="$KDIR/kafka.pid"
K_CLUSTER_ID="$KDIR/cluster.id"

PGDIR="$CUSTODY_HOME/pg"
PG_DATA="$PGDIR/data"
PG_SOCK="$PGDIR/run"
PG_LOG="$PGDIR/postgres.log"
PG_SUPERUSER=postgres

# Roles of the local cluster (see docs/stack.md). Their passwords are drawn on this machine on the
# first run and kept in $CUSTODY_HOME/db-passwords (mode 600, git-ignored with .custody); never
# committed, never printed but by `env`, whose output is meant for eval.
OWNER_ROLE=custody_owner
# Each service logs in as roles of its own, with rights on its own schema only (its migrations
# grant them): custody_<schema> for its tenant-scoped pool, custody_<schema>_platform for its
# cross-tenant pool (the only login row-level security admits to every tenant's rows).
SERVICE_SCHEMAS=(tenant_store ingest consent marketing_export)
# The shared roles of earlier versions, dropped from a cluster that still has them.
LEGACY_ROLES=(custody_app custody_platform)
DB_PASSWORDS="$CUSTODY_HOME/db-passwords"
(
  umask 077
  touch "$DB_PASSWORDS"
  for schema in "${SERVICE_SCHEMAS[@]}"; do
    upper="$(printf '%s' "$schema" | tr '[:lower:]' '[:upper:]')"
    printf '%s\n' OWNER "$upper" "${upper}_PLATFORM"
  done | while read -r r; do
    grep -q "^${r}_PASSWORD=" "$DB_PASSWORDS" ||
      printf '%s_PASSWORD=%s\n' "$r" "$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >>"$DB_PASSWORDS"
  done
)
# shellcheck disable=SC1090
. "$DB_PASSWORDS"
# The password of a service role (custody_ingest → $INGEST_PASSWORD, custody_ingest_platform → …).
role_password() {
  local var
  var="$(printf '%s' "${1#custody_}" | tr '[:lower:]' '[:upper:]')_PASSWORD"
  printf '%s' "${!var}"
}
DEV_DB=custody
TEST_DB=custody_test

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
  printf '%s\n' "$*" >&2
  exit 1
}

# Serialise up/down/reset (two `up`s at once would both start the servers). The servers are
# started with fd 9 closed so they never hold the lock.
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$CUSTODY_HOME/.stack.lock"
  if ! flock -n 9; then
    say "stack: another stack.sh is busy, waiting…"
    flock -w 600 9 || die "stack: another stack.sh held $CUSTODY_HOME/.stack.lock for 10 min"
  fi
}

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------
# Kafka
# ---------------------------------------------------------------------------------------------

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    command -v java
  else
    die "kafka: java not found; install a JDK/JRE 17+ (apt-get install openjdk-17-jre-headless maven)"
  fi
}

require_java17() {
  local java ver major
  java="$(java_bin)"
  ver="$("$java" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${ver%%.*}"
  [ "$major" = 1 ] && major="$(printf '%s' "$ver" | cut -d. -f2)"
  if ! [ "$major" -ge 17 ] 2>/dev/null; then
    die "kafka: Java 17+ needed, found '${ver:-unknown}' at $java (apt-get install openjdk-17-jre-headless)"
  fi
}

kafka_fetch_jars() {
  local marker="$K_LIBS/.complete-$KAFKA_VERSION"
  [ -f "$marker" ] && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "kafka: mvn not found, needed once to fetch the Kafka jars (apt-get install maven openjdk-17-jre-headless)"
  say "kafka: fetching jars for $KAFKA_VERSION from Maven Central (first run)…"
  mkdir -p "$K_LOGS"
  local tmp="$KDIR/libs.tmp" mvnlog="$K_LOGS/mvn.log"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$mvnlog" 2>&1; then
    tail -n 15 "$mvnlog" >&2 || true
    die "kafka: could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see $mvnlog)"
  fi
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka: kafka_2.13-$KAFKA_VERSION.jar missing after resolve (see $mvnlog)"
  rm -rf "$K_LIBS"
  mv "$tmp" "$K_LIBS"
  touch "$marker"
}

kafka_write_config() {
  mkdir -p "$K_CONF" "$K_DATA" "$K_LOGS"
  cat >"$K_CONF/server.properties" <<EOF
# Written by scripts/stack.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$K_DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
EOF
  cat >"$K_CONF/log4j2.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/stack.sh. Warnings and errors, plus the broker's start/stop lines. -->
<Configuration status="warn">
  <Appenders>
    <File name="server" fileName="$K_LOGS/server.log" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="\${env:KAFKA_LOG_LEVEL:-WARN}"><AppenderRef ref="server"/></Root>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Logger name="kafka.Kafka" level="INFO"/>
  </Loggers>
</Configuration>
EOF
}

# The pid from the pid file, when that process is our broker and still alive.
kafka_pid() {
  local pid
  [ -f "$K_PID" ] || return 1
  pid="$(cat "$K_PID" 2>/dev/null || true)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $K_CONF/server.properties" || return 1
  printf '%s\n' "$pid"
}

kafka_running_version() {
  local v
  v="$(cat "$KDIR/running.version" 2>/dev/null || true)"
  printf '%s\n' "${v:-$KAFKA_VERSION}"
}

kafka_tail_logs() {
  local f
  for f in "$K_LOGS/server.log" "$K_LOGS/kafka.out"; do
    [ -s "$f" ] && { warn "--- last lines of $f:"; tail -n 12 "$f" >&2; }
  done
  return 0
}

kafka_format_storage() {
  [ -f "$K_DATA/meta.properties" ] && return 0
  local java cid
  java="$(java_bin)"
  if [ ! -s "$K_CLUSTER_ID" ]; then
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding (22 chars). It may begin with
    # "-", so it is passed as --cluster-id=<id> (as a separate argument the parser took it for an option).
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    printf '%s\n' "$cid" >"$K_CLUSTER_ID"
  fi
  cid="$(cat "$K_CLUSTER_ID")"
  say "kafka: formatting storage (cluster id $cid)…"
  if ! "$java" -Xmx256m -cp "$K_LIBS/*" kafka.tools.StorageTool format --cluster-id="$cid" -c "$K_CONF/server.properties" >"$K_LOGS/format.log" 2>&1; then
    cat "$K_LOGS/format.log" >&2
    die "kafka: storage format failed (see $K_LOGS/format.log)"
  fi
}

kafka_up() {
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    say "kafka: KAFKA_BROKERS is set, using $KAFKA_BROKERS (local broker not started)"
    return 0
  fi
  local pid
  if pid="$(kafka_pid)"; then
    grep -q "^listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT\$" "$K_CONF/server.properties" 2>/dev/null ||
      die "kafka: already running (pid $pid) with other ports than $KAFKA_PORT/$KAFKA_CONTROLLER_PORT; run scripts/stack.sh down first"
    if port_open "$HOST" "$KAFKA_PORT"; then
      say "kafka: already up on $HOST:$KAFKA_PORT ($(kafka_running_version), pid $pid)"
      return 0
    fi
    say "kafka: starting (pid $pid), waiting…"
  else
    rm -f "$K_PID"
    require_java17
    if port_open "$HOST" "$KAFKA_PORT" || port_open "$HOST" "$KAFKA_CONTROLLER_PORT"; then
      die "kafka: port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT on $HOST is taken by another process; stop it, or set KAFKA_PORT/KAFKA_CONTROLLER_PORT, or point KAFKA_BROKERS at a running broker"
    fi
    kafka_fetch_jars
    kafka_write_config
    kafka_format_storage
    [ -f "$K_LOGS/server.log" ] && mv -f "$K_LOGS/server.log" "$K_LOGS/server.log.prev"
    local java
    java="$(java_bin)"
    say "kafka: starting $KAFKA_VERSION…"
    # shellcheck disable=SC2086  # KAFKA_HEAP / KAFKA_JVM_OPTS are lists of JVM flags
    nohup "$java" $KAFKA_HEAP $KAFKA_JVM_OPTS -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Dkafka.logs.dir="$K_LOGS" \
      -Dlog4j2.configurationFile="$K_CONF/log4j2.xml" \
      -cp "$K_LIBS/*" kafka.Kafka "$K_CONF/server.properties" \
      >"$K_LOGS/kafka.out" 2>&1 </dev/null 9>&- &
    pid=$!
    printf '%s\n' "$pid" >"$K_PID"
    printf '%s\n' "$KAFKA_VERSION" >"$KDIR/running.version"
  fi

  # Ready = the server logged that it started AND the broker port accepts connections.
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$K_PID"
      kafka_tail_logs
      die "kafka: broker exited during start-up (logs: $K_LOGS/server.log, $K_LOGS/kafka.out); if the data dir came from another Kafka version, try scripts/stack.sh reset"
    fi
    if grep -q "Kafka Server started" "$K_LOGS/server.log" 2>/dev/null && port_open "$HOST" "$KAFKA_PORT"; then
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      kafka_tail_logs
      die "kafka: not ready after ${KAFKA_START_TIMEOUT}s (still running as pid $pid; logs: $K_LOGS/server.log, $K_LOGS/kafka.out)"
    fi
    sleep 0.3
  done
  say "kafka: up on $HOST:$KAFKA_PORT ($(kafka_running_version))"
}

kafka_down() {
  local pid i
  if ! pid="$(kafka_pid)"; then
    rm -f "$K_PID"
    say "kafka: not running"
    return 0
  fi
  say "kafka: stopping (pid $pid)…"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "kafka: still running after 20s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$K_PID"
  say "kafka: stopped"
}

kafka_status() {
  local pid first
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    first="${KAFKA_BROKERS%%,*}"
    if port_open "${first%:*}" "${first##*:}"; then
      say "kafka:    external, reachable ($KAFKA_BROKERS)"
      return 0
    fi
    say "kafka:    external, NOT reachable ($KAFKA_BROKERS)"
    return 1
  fi
  if pid="$(kafka_pid)"; then
    if port_open "$HOST" "$KAFKA_PORT"; then
      say "kafka:    up on $HOST:$KAFKA_PORT ($(kafka_running_version), pid $pid)"
      return 0
    fi
    say "kafka:    starting or unhealthy (pid $pid, port $KAFKA_PORT closed; log $K_LOGS/server.log)"
    return 1
  fi
  say "kafka:    down"
  return 1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

PG_BIN=""

# Run a command as the user that owns the cluster: `postgres` when we are root (initdb and the
# server refuse to run as root), else ourselves. Run from / so an unreadable cwd does not warn.
pg_as() {
  if [ "$IS_ROOT" = 1 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

pg_bin_for() { # newest /usr/lib/postgresql/<major>/bin, or that of the given major
  local want="${1:-}" d best=""
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
    { [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; } || continue
    if [ -z "$want" ] || [ "$d" = "/usr/lib/postgresql/$want/bin" ]; then best="$d"; fi
  done
  if [ -z "$best" ] && [ -z "$want" ] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    best="$(dirname "$(command -v pg_ctl)")"
  fi
  [ -n "$best" ] && printf '%s\n' "$best"
}

pg_install() {
  local sudo=()
  if [ "$IS_ROOT" != 1 ]; then
    command -v sudo >/dev/null 2>&1 ||
      die "postgres: not installed and not root (no sudo); install PostgreSQL: apt-get install postgresql"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "postgres: not installed and apt-get is missing; install PostgreSQL (server + client, with initdb/pg_ctl) yourself"
  say "postgres: not installed, installing with apt-get (first run)…"
  local log="$CUSTODY_HOME/apt-postgresql.log"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >"$log" 2>&1; then
    say "postgres: install failed, running apt-get update and retrying…"
    "${sudo[@]}" apt-get update -q >>"$log" 2>&1 || true
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >>"$log" 2>&1 ||
      { tail -n 15 "$log" >&2; die "postgres: apt-get install postgresql failed (see $log)"; }
  fi
}

pg_select_bin() {
  local major=""
  [ -f "$PG_DATA/PG_VERSION" ] && major="$(cat "$PG_DATA/PG_VERSION")"
  PG_BIN="$(pg_bin_for "$major" || true)"
  if [ -z "$PG_BIN" ] && [ -z "$major" ]; then
    pg_install
    PG_BIN="$(pg_bin_for || true)"
  fi
  if [ -z "$PG_BIN" ]; then
    [ -n "$major" ] && die "postgres: $PG_DATA was made by PostgreSQL $major, which is not installed; install postgresql-$major or run scripts/stack.sh reset"
    die "postgres: initdb/pg_ctl not found after install"
  fi
}

pg_version() { "$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}'; }

pg_prepare_dirs() {
  mkdir -p "$PGDIR" "$PG_SOCK"
  if [ "$IS_ROOT" = 1 ]; then
    id postgres >/dev/null 2>&1 || die "postgres: system user 'postgres' missing (reinstall the postgresql package)"
    chown postgres: "$PGDIR" "$PG_SOCK"
    [ -d "$PG_DATA" ] && chown -R postgres: "$PG_DATA"
    [ -f "$PG_LOG" ] && chown postgres: "$PG_LOG"
    pg_as test -w "$PGDIR" -a -x "$PGDIR" ||
      die "postgres: user 'postgres' cannot reach $PGDIR (a parent directory is not traversable); set CUSTODY_HOME to a path like /var/tmp/custody"
  fi
  chmod 755 "$PG_SOCK"
}

pg_write_config() {
  local conf="$PG_DATA/custody.conf" hba="$PG_DATA/pg_hba.conf"
  pg_as tee "$conf" >/dev/null <<EOF
# Written by scripts/stack.sh on every start; edits are overwritten. Tuned for tests, not safety.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = scram-sha-256
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  pg_as tee "$hba" >/dev/null <<EOF
# Written by scripts/stack.sh. Superuser via the private socket dir without a password;
# everyone else (custody_owner, custody_app) with a password over TCP or the socket.
# TYPE  DATABASE  USER          ADDRESS         METHOD
local   all       $PG_SUPERUSER                  trust
local   all       all                           scram-sha-256
host    all       all           $HOST/32    scram-sha-256
EOF
  grep -q "^include_if_exists = 'custody.conf'" "$PG_DATA/postgresql.conf" ||
    printf "\ninclude_if_exists = 'custody.conf'\n" | pg_as tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_initdb() {
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  say "postgres: creating cluster in $PG_DATA (first run)…"
  rm -rf "$PG_DATA"
  if ! pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 -N >"$PGDIR/initdb.log" 2>&1; then
    cat "$PGDIR/initdb.log" >&2
    die "postgres: initdb failed (see $PGDIR/initdb.log)"
  fi
}

pg_running() { [ -f "$PG_DATA/PG_VERSION" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

pg_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"; }

pg_setup_roles() {
  local dbs=("$DEV_DB" "$TEST_DB" "$@") schema role create="" alter=""
  for schema in "${SERVICE_SCHEMAS[@]}"; do
    for role in "custody_$schema" "custody_${schema}_platform"; do
      create+="  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN; END IF;"$'\n'
      alter+="ALTER ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT PASSWORD '$(role_password "$role")';"$'\n'
    done
  done
  pg_psql -d postgres >/dev/null <<EOF
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$OWNER_ROLE') THEN
    CREATE ROLE $OWNER_ROLE LOGIN;
  END IF;
$create
END
\$\$;
ALTER ROLE $OWNER_ROLE LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS PASSWORD '$OWNER_PASSWORD';
$alter
SELECT format('CREATE DATABASE %I OWNER $OWNER_ROLE', d)
  FROM unnest(string_to_array('${dbs[*]}', ' ')) AS d
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = d)
\gexec
ALTER DATABASE $DEV_DB OWNER TO $OWNER_ROLE;
ALTER DATABASE $TEST_DB OWNER TO $OWNER_ROLE;
EOF
  pg_drop_legacy_roles
  local db
  for db in "${dbs[@]}"; do
    pg_psql -d postgres -c "ALTER DATABASE $db OWNER TO $OWNER_ROLE" >/dev/null
    # Schema, table and sequence rights are granted by each service's migrations, in its own
    # schema, to its own roles. The service roles may connect, nothing more: no TEMPORARY (the
    # tenant binding's temporary sequences are the owner's), no database-wide default privileges.
    {
      echo "REVOKE ALL ON DATABASE $db FROM PUBLIC;"
      echo "GRANT ALL ON DATABASE $db TO $OWNER_ROLE;"
      echo "REVOKE ALL ON SCHEMA public FROM PUBLIC;"
      for schema in "${SERVICE_SCHEMAS[@]}"; do
        for role in "custody_$schema" "custody_${schema}_platform"; do
          echo "REVOKE ALL ON DATABASE $db FROM $role;"
          echo "GRANT CONNECT ON DATABASE $db TO $role;"
        done
      done
    } | pg_psql -d "$db" >/dev/null
  done
}

# A cluster made by an earlier version has the shared custody_app / custody_platform roles, with
# rights in every schema: they go (their rights in every database first, then the roles).
pg_drop_legacy_roles() {
  local role db
  for role in "${LEGACY_ROLES[@]}"; do
    [ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" = 1 ] || continue
    say "postgres: dropping the shared role $role of an earlier version (each service has roles of its own now)"
    for db in $(pg_psql -d postgres -tAc "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"); do
      pg_psql -d "$db" -c "DROP OWNED BY $role" >/dev/null
    done
    pg_psql -d postgres -c "DROP ROLE $role" >/dev/null
  done
}

pg_up() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "postgres: DATABASE_URL is set, using it (local cluster not started)"
    return 0
  fi
  pg_select_bin
  pg_prepare_dirs
  local state=up
  if pg_running; then
    state="already up"
    grep -q "^port = $PG_PORT\$" "$PG_DATA/custody.conf" 2>/dev/null ||
      die "postgres: already running with another port than $PG_PORT; run scripts/stack.sh down first"
  else
    if port_open "$HOST" "$PG_PORT"; then
      die "postgres: port $PG_PORT on $HOST is taken by another process; stop it, or set PGPORT_CUSTODY, or set DATABASE_URL"
    fi
    pg_initdb
    pg_write_config
    say "postgres: starting…"
    if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PGDIR/pg_ctl.log" 2>&1 9>&-; then
      cat "$PGDIR/pg_ctl.log" >&2
      [ -f "$PG_LOG" ] && tail -n 15 "$PG_LOG" >&2
      die "postgres: failed to start (log: $PG_LOG)"
    fi
  fi
  pg_setup_roles || die "postgres: creating roles/databases failed"
  say "postgres: $state on $HOST:$PG_PORT (PostgreSQL $(pg_version); databases $DEV_DB, $TEST_DB)"
}

pg_down() {
  PG_BIN="$(pg_bin_for "$(cat "$PG_DATA/PG_VERSION" 2>/dev/null || true)" || true)"
  if [ -z "$PG_BIN" ] || ! pg_running; then
    say "postgres: not running"
    return 0
  fi
  say "postgres: stopping…"
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w -t 60 >/dev/null ||
    die "postgres: pg_ctl stop failed (log: $PG_LOG)"
  say "postgres: stopped"
}

# host:port of a postgres:// URL (defaults localhost:5432).
url_host_port() {
  local rest="${1#*://}"
  rest="${rest%%/*}"
  rest="${rest%%\?*}"
  rest="${rest##*@}"
  local host="${rest%%:*}" port=5432
  [ "$rest" != "$host" ] && port="${rest##*:}"
  printf '%s %s\n' "${host:-localhost}" "$port"
}

pg_status() {
  if [ -n "${DATABASE_URL:-}" ]; then
    local h p
    read -r h p < <(url_host_port "$DATABASE_URL")
    if port_open "$h" "$p"; then
      say "postgres: external, reachable ($h:$p from DATABASE_URL)"
      return 0
    fi
    say "postgres: external, NOT reachable ($h:$p from DATABASE_URL)"
    return 1
  fi
  PG_BIN="$(pg_bin_for "$(cat "$PG_DATA/PG_VERSION" 2>/dev/null || true)" || true)"
  if [ -n "$PG_BIN" ] && pg_running; then
    if port_open "$HOST" "$PG_PORT"; then
      say "postgres: up on $HOST:$PG_PORT (PostgreSQL $(pg_version), pid $(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null))"
      return 0
    fi
    say "postgres: running but port $PG_PORT closed (log $PG_LOG)"
    return 1
  fi
  say "postgres: down"
  return 1
}

# ---------------------------------------------------------------------------------------------

# One `export NAME=value` line; single-quoted only when the value needs it.
export_line() {
  local v="$2"
  if [[ "$v" =~ ^[A-Za-z0-9_.,:/@%+=-]*$ ]]; then
    printf 'export %s=%s\n' "$1" "$v"
  else
    printf "export %s='%s'\n" "$1" "${v//\'/\'\\\'\'}"
  fi
}

cmd_env() {
  local db="$DEV_DB"
  [ "${1:-}" = "--test" ] && db="$TEST_DB"
  [ "${1:-}" = "--db" ] && db="${2:?env --db needs a database name}"
  if [ -n "${KAFKA_BROKERS:-}" ]; then
    export_line KAFKA_BROKERS "$KAFKA_BROKERS"
  else
    export_line KAFKA_BROKERS "$HOST:$KAFKA_PORT"
    # The local broker's log directory: test/e2e/encryption reads its raw segment files.
    export_line KAFKA_LOG_DIRS "$K_DATA"
  fi
  if [ -n "${DATABASE_URL:-}" ]; then
    export_line DATABASE_URL "$DATABASE_URL"
    if [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
      export_line MIGRATION_DATABASE_URL "$MIGRATION_DATABASE_URL"
    else
      printf '# MIGRATION_DATABASE_URL is not set (DATABASE_URL comes from the environment)\n'
    fi
    if [ -n "${DATABASE_PLATFORM_URL:-}" ]; then
      export_line DATABASE_PLATFORM_URL "$DATABASE_PLATFORM_URL"
    else
      printf '# DATABASE_PLATFORM_URL is not set (DATABASE_URL comes from the environment)\n'
    fi
  else
    # One pair of URLs per service (<SERVICE>_DATABASE_URL, <SERVICE>_DATABASE_PLATFORM_URL): each
    # app prefers its own over DATABASE_URL / DATABASE_PLATFORM_URL (libs/platform env.ts).
    local schema upper
    for schema in "${SERVICE_SCHEMAS[@]}"; do
      upper="$(printf '%s' "$schema" | tr '[:lower:]' '[:upper:]')"
      export_line "${upper}_DATABASE_URL" "postgres://custody_$schema:$(role_password "custody_$schema")@$HOST:$PG_PORT/$db"
      export_line "${upper}_DATABASE_PLATFORM_URL" "postgres://custody_${schema}_platform:$(role_password "custody_${schema}_platform")@$HOST:$PG_PORT/$db"
    done
    export_line MIGRATION_DATABASE_URL "postgres://$OWNER_ROLE:$OWNER_PASSWORD@$HOST:$PG_PORT/$db"
  fi
}

usage() {
  warn "usage: scripts/stack.sh up|down|status|reset|restart kafka|postgres|env [--test|--db NAME]|db NAME"
  exit 2
}

main() {
  local t0=$SECONDS rc
  case "${1:-}" in up | down | reset | restart) take_lock ;; esac
  case "${1:-}" in
  up)
    kafka_up
    pg_up
    say "stack: up in $((SECONDS - t0))s (eval \"\$(scripts/stack.sh env)\" for the connection variables)"
    ;;
  down)
    kafka_down
    pg_down
    ;;
  status)
    rc=0
    kafka_status || rc=3
    pg_status || rc=3
    exit "$rc"
    ;;
  reset)
    kafka_down
    pg_down
    rm -rf "$K_DATA" "$K_LOGS" "$K_CONF" "$K_CLUSTER_ID" "$KDIR/running.version" "$KDIR/libs.tmp" "$PGDIR"
    say "stack: data deleted (kept the Kafka jars in $K_LIBS)"
    ;;
  restart)
    case "${2:-}" in
    kafka)
      [ -z "${KAFKA_BROKERS:-}" ] || die "restart: KAFKA_BROKERS is set; only the local broker is restarted here"
      kafka_down
      kafka_up
      ;;
    postgres)
      [ -z "${DATABASE_URL:-}" ] || die "restart: DATABASE_URL is set; only the local PostgreSQL is restarted here"
      pg_down
      pg_up
      ;;
    *) usage ;;
    esac
    ;;
  env)
    shift
    case "${1:-}" in "" | --test | --db) cmd_env "$@" ;; *) usage ;; esac
    ;;
  db)
    # An extra database with the same roles and grants (e.g. one per developer or parallel run).
    [[ "${2:-}" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "db: give a lowercase database name"
    pg_select_bin
    pg_running || die "db: PostgreSQL is not running (scripts/stack.sh up)"
    pg_setup_roles "$2"
    say "postgres: database $2 ready (scripts/stack.sh env --db $2)"
    ;;
  *) usage ;;
  esac
}

main "$@"
