#!/usr/bin/env bash
# Local infrastructure for Tasklog: Apache Kafka (KRaft, from Maven Central
# jars), PostgreSQL and Redis (from Debian's packages), all on loopback.
#
#   scripts/infra.sh up [--quiet]   install what is missing, start what is down
#   scripts/infra.sh down           stop only what this script started
#   scripts/infra.sh status         one line per service
#   scripts/infra.sh logs [svc]     the last lines of kafka | postgres | redis
#   scripts/infra.sh reset --yes    down, then delete Kafka/Redis data and the
#                                   tasklog databases
#   scripts/infra.sh kafka-up|kafka-down
#                                   only the broker (tests start a private one with
#                                   TASKLOG_INFRA_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT)
#
# Every command is idempotent. Services already answering on their port are
# used as they are and never stopped. Where a Docker engine answers,
# docker-compose.yml runs the same services instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA="${TASKLOG_INFRA_DIR:-$ROOT/.infra}"
CACHE="$ROOT/.cache"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx1g}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
DB_USER="${TASKLOG_DB_USER:-tasklog}"
DB_PASSWORD="${TASKLOG_DB_PASSWORD:-tasklog}"
QUIET=0

say() { [ "$QUIET" = 1 ] || echo "infra: $*"; }
die() { echo "infra: $*" >&2; exit 1; }
mkdir -p "$INFRA/logs" "$INFRA/started"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
mark_started() { touch "$INFRA/started/$1"; }
started_by_us() { [ -f "$INFRA/started/$1" ]; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
    die "need root to run: $*"; fi
}

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq >"$INFRA/logs/apt.log" 2>&1 || die "apt-get update failed (see .infra/logs/apt.log)"
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  # policy-rc.d 101 keeps Debian from auto-starting services we start ourselves.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "$@" \
    >>"$INFRA/logs/apt.log" 2>&1 || die "apt-get install $* failed (see .infra/logs/apt.log)"
}

wait_for() { # wait_for <seconds> <description> <command...>
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

docker_mode() { [ "${TASKLOG_INFRA:-auto}" != native ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; }

# ---------------------------------------------------------------- Kafka ----
KAFKA_LIBS="$CACHE/kafka/libs"
KAFKA_DIR="$INFRA/kafka"

kafka_jars() {
  local stamp
  stamp="$(sha256sum "$ROOT/infra/kafka/pom.xml" | cut -c1-16)"
  [ -f "$KAFKA_LIBS/.complete-$stamp" ] && return 0
  command -v mvn >/dev/null || apt_install maven
  say "assembling the Kafka broker from Maven Central (infra/kafka/pom.xml)"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >"$INFRA/logs/maven.log" 2>&1 ||
    die "maven could not fetch the Kafka jars (see .infra/logs/maven.log)"
  touch "$KAFKA_LIBS/.complete-$stamp"
}

kafka_java() {
  # shellcheck disable=SC2086 # KAFKA_HEAP holds several JVM flags
  KAFKA_JAVA=(java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dkafka.logs.dir="$KAFKA_DIR/logs" -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties"
    -cp "$KAFKA_LIBS/*")
  "${KAFKA_JAVA[@]}" "$@"
}

kafka_ready() { node "$ROOT/scripts/kafka-ready.mjs" "127.0.0.1:$KAFKA_PORT"; }

kafka_up() {
  if [ -f "$KAFKA_DIR/kafka.pid" ] && kill -0 "$(cat "$KAFKA_DIR/kafka.pid")" 2>/dev/null; then
    wait_for 60 kafka kafka_ready || die "Kafka (pid $(cat "$KAFKA_DIR/kafka.pid")) does not answer"
    say "kafka      running (ours) on 127.0.0.1:$KAFKA_PORT"; return 0
  fi
  if port_open "$KAFKA_PORT"; then
    wait_for 30 kafka kafka_ready || die "port $KAFKA_PORT is taken by something that is not a Kafka broker"
    say "kafka      already running on 127.0.0.1:$KAFKA_PORT (not ours, left as is)"; return 0
  fi
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  kafka_jars
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  sed -e "s#@DATA_DIR@#$KAFKA_DIR/data#" -e "s#@PORT@#$KAFKA_PORT#g" \
    -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$ROOT/infra/kafka/server.properties" >"$KAFKA_DIR/server.properties"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    say "formatting Kafka storage (cluster $cluster_id)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
      >"$KAFKA_DIR/logs/format.log" 2>&1 || die "Kafka storage format failed (see .infra/kafka/logs/format.log)"
  fi
  local t0=$SECONDS
  kafka_java -version >/dev/null 2>&1
  # setsid: the broker outlives the shell (or test run) that started it.
  setsid "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$KAFKA_DIR/kafka.pid"
  mark_started kafka
  wait_for 90 kafka kafka_ready || die "Kafka did not answer within 90 s (see .infra/kafka/logs)"
  say "kafka      started on 127.0.0.1:$KAFKA_PORT in $((SECONDS - t0)) s (pid $(cat "$KAFKA_DIR/kafka.pid"))"
}

kafka_down() {
  started_by_us kafka || { say "kafka      not started by us, left running"; return 0; }
  local pid
  pid="$(cat "$KAFKA_DIR/kafka.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 60 kafka-stop bash -c "! kill -0 $pid" || { pkill -KILL -P "$pid" || true; kill -KILL "$pid" || true; }
  fi
  wait_for 30 kafka-port bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT)" || true
  rm -f "$KAFKA_DIR/kafka.pid" "$INFRA/started/kafka"
  say "kafka      stopped"
}

# ------------------------------------------------------------ PostgreSQL ----
pg_ready() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }
pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

pg_up() {
  if pg_ready 2>/dev/null; then
    say "postgres   running on 127.0.0.1:$PG_PORT"
  else
    [ -n "$(pg_version)" ] && command -v pg_isready >/dev/null || apt_install postgresql postgresql-contrib
    local ver
    ver="$(pg_version)"
    [ "$ver" -ge 15 ] || die "PostgreSQL $ver is older than 15"
    pg_lsclusters -h 2>/dev/null | grep -q "^$ver main" || as_root pg_createcluster "$ver" main -p "$PG_PORT" >/dev/null
    as_root pg_ctlcluster "$ver" main start || die "PostgreSQL did not start (see /var/log/postgresql)"
    mark_started postgres
    wait_for 30 postgres pg_ready || die "PostgreSQL does not answer on port $PG_PORT"
    say "postgres   started on 127.0.0.1:$PG_PORT (cluster $ver/main)"
  fi
  pg_provision
}

pg_superuser_psql() { as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

pg_provision() {
  # Role and databases; when we cannot become the postgres superuser we
  # assume an operator has provisioned them and check by logging in.
  if id postgres >/dev/null 2>&1 && pg_superuser_psql -tAc 'select 1' >/dev/null 2>&1; then
    pg_superuser_psql -tAc "select 1 from pg_roles where rolname = '$DB_USER'" | grep -q 1 ||
      pg_superuser_psql -c "create role $DB_USER login createdb password '$DB_PASSWORD'"
    local db
    for db in tasklog tasklog_test; do
      pg_superuser_psql -tAc "select 1 from pg_database where datname = '$db'" | grep -q 1 ||
        pg_superuser_psql -c "create database $db owner $DB_USER"
    done
  fi
  PGPASSWORD="$DB_PASSWORD" psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d tasklog_test -tAc 'select 1' \
    >/dev/null || die "cannot log in to PostgreSQL as $DB_USER"
}

pg_down() {
  started_by_us postgres || { say "postgres   not started by us, left running"; return 0; }
  as_root pg_ctlcluster "$(pg_version)" main stop -m fast || true
  rm -f "$INFRA/started/postgres"
  say "postgres   stopped"
}

# ----------------------------------------------------------------- Redis ----
REDIS_DIR="$INFRA/redis"
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_up() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server redis-tools
  if redis_ready; then
    if started_by_us redis; then say "redis      running (ours) on 127.0.0.1:$REDIS_PORT"
    else say "redis      already running on 127.0.0.1:$REDIS_PORT (not ours, left as is)"; fi
    return 0
  fi
  mkdir -p "$REDIS_DIR"
  # Derived data only (ADR 0038): no snapshots, whose forks took a core for
  # a second or more every minute; an old snapshot is not loaded either.
  rm -f "$REDIS_DIR/dump.rdb"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$REDIS_DIR" \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$INFRA/logs/redis.log" --save "" --appendonly no \
    --maxmemory 512mb --maxmemory-policy allkeys-lru >/dev/null
  mark_started redis
  wait_for 20 redis redis_ready || die "Redis did not answer (see .infra/logs/redis.log)"
  say "redis      started on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
  started_by_us redis || { say "redis      not started by us, left running"; return 0; }
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  rm -f "$INFRA/started/redis"
  say "redis      stopped"
}

# -------------------------------------------------------------- commands ----
rss_of() { ps -o rss= -p "$1" 2>/dev/null | awk '{printf "%.0f MiB", $1/1024}'; }

status() {
  local pid
  if kafka_ready 2>/dev/null; then
    pid="$(pgrep -f 'kafka\.Kafka' | head -1 || true)"
    echo "kafka      up    127.0.0.1:$KAFKA_PORT $(started_by_us kafka && echo ours || echo external) ${pid:+pid $pid rss $(rss_of "$pid")}"
  else echo "kafka      down  127.0.0.1:$KAFKA_PORT"; fi
  if pg_ready 2>/dev/null; then
    pid="$(pgrep -o -x postgres || true)"
    local rss
    rss="$(ps -o rss= -C postgres 2>/dev/null | awk '{s+=$1} END {printf "%.0f MiB", s/1024}')"
    echo "postgres   up    127.0.0.1:$PG_PORT $(started_by_us postgres && echo ours || echo external) ${pid:+pid $pid rss $rss (all backends)}"
  else echo "postgres   down  127.0.0.1:$PG_PORT"; fi
  if redis_ready; then
    pid="$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || pgrep -x redis-server | head -1 || true)"
    echo "redis      up    127.0.0.1:$REDIS_PORT $(started_by_us redis && echo ours || echo external) ${pid:+pid $pid rss $(rss_of "$pid")}"
  else echo "redis      down  127.0.0.1:$REDIS_PORT"; fi
}

logs() {
  case "${1:-kafka}" in
    kafka) tail -n "${LINES_:-100}" "$KAFKA_DIR/logs/server.log" ;;
    postgres) tail -n 100 "/var/log/postgresql/postgresql-$(pg_version)-main.log" ;;
    redis) tail -n 100 "$INFRA/logs/redis.log" ;;
    *) die "logs: kafka | postgres | redis" ;;
  esac
}

reset() {
  [ "${1:-}" = --yes ] || die "reset deletes all local Kafka and Redis data and the tasklog databases: run with --yes"
  pg_ready 2>/dev/null && for db in tasklog tasklog_test; do
    pg_superuser_psql -c "drop database if exists $db with (force)" || true
  done
  down
  rm -rf "$KAFKA_DIR" "$REDIS_DIR"
  say "reset done: run 'up' to start afresh"
}

up() {
  source "$ROOT/scripts/toolchain.sh"
  local t0=$SECONDS
  kafka_up
  pg_up
  redis_up
  say "infrastructure ready in $((SECONDS - t0)) s"
}

down() { kafka_down; redis_down; pg_down; }

compose() { docker compose -f "$ROOT/docker-compose.yml" "$@"; }

main() {
  local cmd="${1:-status}"; shift || true
  [ "${1:-}" = --quiet ] && QUIET=1
  if docker_mode; then
    case "$cmd" in
      up) compose up -d --wait kafka postgres redis ;;
      down) compose stop ;;
      status) compose ps ;;
      logs) compose logs --tail 100 "${1:-kafka}" ;;
      reset) compose down -v ;;
      *) die "unknown command: $cmd" ;;
    esac
    return
  fi
  case "$cmd" in
    up) up ;;
    down) down ;;
    kafka-up) source "$ROOT/scripts/toolchain.sh"; kafka_up ;;
    kafka-down) kafka_down ;;
    status) source "$ROOT/scripts/toolchain.sh"; status ;;
    logs) logs "$@" ;;
    reset) source "$ROOT/scripts/toolchain.sh"; reset "$@" ;;
    *) die "unknown command: $cmd (up | down | status | logs | reset)" ;;
  esac
}

main "$@"
