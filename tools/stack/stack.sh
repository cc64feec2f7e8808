#!/usr/bin/env bash
# The local stack: real Redis (AOF), PostgreSQL and Apache Kafka 3.9.1 (KRaft) on
# loopback, for machines without a Docker engine (this one, CI). Idempotent.
#
#   tools/stack/stack.sh up       start what is not running, wait until each answers, print env
#   tools/stack/stack.sh down     stop all three (data stays under .stack/)
#   tools/stack/stack.sh status   say what runs; exit 1 when something is down
#   tools/stack/stack.sh env      print the export lines for REDIS_URL, DATABASE_URL, KAFKA_BROKERS
#
# STACK_REDIS_CLUSTER=1 also runs a Redis Cluster: 3 masters + 3 replicas of redis-server on
# loopback (ports STACK_REDIS_CLUSTER_PORT, 7100, and up), created and waited for; `env`
# then prints REDIS_CLUSTER_NODES too, which the engine prefers to REDIS_URL.
#
# Everything lives under $STACK_DIR (default <repo>/.stack, git-ignored): data and logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"
REDIS_PORT="${STACK_REDIS_PORT:-6390}"
PG_PORT="${STACK_PG_PORT:-5440}"
KAFKA_PORT="${STACK_KAFKA_PORT:-9192}"
KAFKA_CONTROLLER_PORT="${STACK_KAFKA_CONTROLLER_PORT:-9193}"
CLUSTER="${STACK_REDIS_CLUSTER:-0}"
CLUSTER_PORT="${STACK_REDIS_CLUSTER_PORT:-7100}"
CLUSTER_PORTS=("$CLUSTER_PORT" $((CLUSTER_PORT + 1)) $((CLUSTER_PORT + 2)) $((CLUSTER_PORT + 3)) $((CLUSTER_PORT + 4)) $((CLUSTER_PORT + 5)))
PG_USER=drop
PG_PASSWORD=drop
PG_DB=drop

REDIS_DIR="$STACK_DIR/redis"
CLUSTER_DIR="$STACK_DIR/redis-cluster"
PG_DIR="$STACK_DIR/pg"
KAFKA_DIR="$STACK_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# Polls `$@` until it succeeds or the deadline (seconds) passes.
wait_for() {
  local what="$1" deadline="$2"; shift 2
  local end=$((SECONDS + deadline))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then return 1; fi
    sleep 0.2
  done
  log "$what is ready"
}

print_env() {
  cat <<EOF
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB
export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
EOF
  if [ "$CLUSTER" = 1 ]; then
    local nodes
    nodes="$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")"
    echo "export REDIS_CLUSTER_NODES=${nodes%,}"
  fi
}

# ---------------------------------------------------------------- prerequisites

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Installs the Debian packages the stack needs when running as root; otherwise names them.
ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  ((${#missing[@]} == 0)) && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}"
  fi
  log "installing ${missing[*]} (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# ------------------------------------------------------------------------ redis

redis_up_p() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

redis_up() {
  if redis_up_p; then log "redis already running on $REDIS_PORT"; return; fi
  mkdir -p "$REDIS_DIR"
  # AOF only, no RDB snapshots: Redis sets LASTSAVE when it boots and after each snapshot,
  # and the engine fences every event on a new LASTSAVE until it is checked against the
  # durable record (docs/DURABILITY.md); snapshots would only cause needless checks.
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$REDIS_DIR" --appendonly yes --appendfsync everysec --save '' \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
  wait_for redis 20 redis_up_p || die "redis did not answer on $REDIS_PORT; see $REDIS_DIR/redis.log"
}

redis_down() {
  redis_up_p || return 0
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  local end=$((SECONDS + 20))
  while redis_up_p && ((SECONDS < end)); do sleep 0.1; done
}

# ---------------------------------------------------------------- redis cluster
# The same persistence as the single node (AOF everysec, no RDB) and a short node timeout,
# so a failover takes seconds.

cluster_ok_p() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || return 1
  done
}

cluster_up() {
  if cluster_ok_p; then log "redis cluster already running on ${CLUSTER_PORTS[*]}"; return; fi
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG && continue
    mkdir -p "$CLUSTER_DIR/$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$CLUSTER_DIR/$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --appendonly yes --appendfsync everysec --save '' \
      --pidfile "$CLUSTER_DIR/$port/redis.pid" --logfile "$CLUSTER_DIR/$port/redis.log"
  done
  for port in "${CLUSTER_PORTS[@]}"; do
    wait_for "redis cluster node $port" 20 redis-cli -h 127.0.0.1 -p "$port" ping ||
      die "redis cluster node $port did not start; see $CLUSTER_DIR/$port/redis.log"
  done
  # A node that knows no other has never been joined: create the cluster once.
  if redis-cli -h 127.0.0.1 -p "$CLUSTER_PORT" cluster info | grep -q 'cluster_known_nodes:1'; then
    # shellcheck disable=SC2046
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${CLUSTER_PORTS[@]}") \
      --cluster-replicas 1 --cluster-yes >"$CLUSTER_DIR/create.log" 2>&1 ||
      die "redis --cluster create failed; see $CLUSTER_DIR/create.log"
  fi
  wait_for "redis cluster" 60 cluster_ok_p || die "the redis cluster did not reach cluster_state:ok"
}

# Only the nodes this stack started (their pid is in its STACK_DIR): another stack's cluster
# on the same ports is left running.
cluster_down() {
  local port pid
  for port in "${CLUSTER_PORTS[@]}"; do
    pid="$(cat "$CLUSTER_DIR/$port/redis.pid" 2>/dev/null)" || continue
    redis-cli -h 127.0.0.1 -p "$port" info server 2>/dev/null | tr -d '\r' |
      grep -qx "process_id:${pid}" || continue
    redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || true
  done
}

# ------------------------------------------------------------------- postgresql
# PostgreSQL refuses to run as root, so as root the cluster belongs to `postgres`.

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up_p() { "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_up() {
  local bin; bin="$(pg_bindir)"
  if pg_up_p; then log "postgres already running on $PG_PORT"; return; fi
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"
    # postgres must be able to reach its data folder through our folders.
    chmod o+x "$STACK_DIR" "$ROOT" 2>/dev/null || true
  fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "initialising postgres cluster in $PG_DIR/data"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  mkdir -p "$PG_DIR/run" && { [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PG_DIR/run"; }
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR/run -c max_connections=200 -c fsync=on" start >/dev/null \
    || die "postgres did not start; see $PG_DIR/postgres.log"
  wait_for postgres 30 pg_up_p || die "postgres did not answer on $PG_PORT"
  pg_bootstrap
}

psql_admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

# The application role and database; CREATEDB so tests can make throwaway databases.
pg_bootstrap() {
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname='$PG_USER'")" != 1 ]; then
    psql_admin -c "create role $PG_USER login createdb password '$PG_PASSWORD'"
  fi
  if [ "$(psql_admin -c "select 1 from pg_database where datname='$PG_DB'")" != 1 ]; then
    psql_admin -c "create database $PG_DB owner $PG_USER"
  fi
}

pg_down() {
  local bin; bin="$(pg_bindir)" || return 0
  [ -f "$PG_DIR/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------------ kafka

kafka_fetch() {
  if compgen -G "$KAFKA_LIBS/kafka_2.13-3.9.1.jar" >/dev/null; then return; fi
  log "fetching Apache Kafka 3.9.1 jars from Maven Central (once)"
  mvn -B -q -Dstyle.color=never -f "$ROOT/tools/stack/kafka/pom.xml" -Dkafka.libs="$KAFKA_LIBS" package >&2 \
    || die "could not fetch the Kafka jars with Maven (is Maven Central reachable?)"
}

kafka_configure() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
# One broker on a small machine it shares with the engine: the defaults size threads and
# buffers for a dedicated multi-core server (3 network, 8 I/O, 10 background threads, a
# 128 MB cleaner buffer). This is about 30 threads fewer; the CPU per change did not move
# measurably either way (perf/http/pipeline-cpu.ts) — that came from fewer, larger requests.
num.network.threads=1
num.io.threads=2
background.threads=2
num.replica.fetchers=1
auto.leader.rebalance.enable=false
log.cleaner.dedupe.buffer.size=8388608
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=WARN
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

kafka_pid() { [ -f "$KAFKA_DIR/kafka.pid" ] && kill -0 "$(cat "$KAFKA_DIR/kafka.pid")" 2>/dev/null && cat "$KAFKA_DIR/kafka.pid"; }

kafka_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT") 2>/dev/null; }

# Ready means: a real client can list topics (or, before npm ci, the broker's log says
# it started). Checking the port rather than our pid also finds a broker already serving it.
kafka_ready_p() {
  kafka_port_open || return 1
  if [ -d "$ROOT/node_modules/kafkajs" ]; then
    (cd "$ROOT" && KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node tools/stack/kafka-ready.mjs)
  else
    grep -q 'Kafka Server started' "$KAFKA_DIR/kafka.log" 2>/dev/null
  fi
}

# Launches the broker without waiting; kafka_wait waits for it.
kafka_start() {
  if kafka_ready_p || kafka_pid >/dev/null; then return; fi
  kafka_fetch
  kafka_configure
  local cp="$KAFKA_LIBS/*"
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local id; id="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    java -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$cp" kafka.tools.StorageTool format --cluster-id="$id" -c "$KAFKA_DIR/server.properties" >/dev/null \
      || die "could not format the Kafka storage in $KAFKA_DIR/data"
  fi
  : >"$KAFKA_DIR/kafka.log"
  # setsid: the broker outlives the shell that started it (npm start, CI steps).
  setsid nohup java -Xms256m -Xmx768m -XX:+UseG1GC \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
    -cp "$cp" kafka.Kafka "$KAFKA_DIR/server.properties" >>"$KAFKA_DIR/kafka.log" 2>&1 </dev/null &
  echo $! >"$KAFKA_DIR/kafka.pid"
}

kafka_wait() {
  if kafka_ready_p; then log "kafka running on $KAFKA_PORT"; return; fi
  local end=$((SECONDS + 90))
  until kafka_ready_p; do
    if ! kafka_pid >/dev/null; then
      tail -n 20 "$KAFKA_DIR/kafka.log" >&2 || true
      die "kafka exited while starting; see $KAFKA_DIR/kafka.log"
    fi
    ((SECONDS < end)) || die "kafka did not become ready on $KAFKA_PORT within 90 s; see $KAFKA_DIR/kafka.log"
    sleep 0.3
  done
  log "kafka is ready"
}

kafka_down() {
  local pid; pid="$(kafka_pid)" || return 0
  kill "$pid" 2>/dev/null || true
  local end=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS >= end)) && { kill -9 "$pid" 2>/dev/null || true; break; }
    sleep 0.2
  done
  rm -f "$KAFKA_DIR/kafka.pid"
}

# ------------------------------------------------------------------------- main

status() {
  local rc=0
  if redis_up_p; then log "redis    up   127.0.0.1:$REDIS_PORT"; else log "redis    down"; rc=1; fi
  if pg_bindir >/dev/null && pg_up_p; then log "postgres up   127.0.0.1:$PG_PORT"; else log "postgres down"; rc=1; fi
  if kafka_ready_p; then log "kafka    up   127.0.0.1:$KAFKA_PORT"; else log "kafka    down"; rc=1; fi
  if [ "$CLUSTER" = 1 ]; then
    if cluster_ok_p; then log "cluster  up   127.0.0.1:${CLUSTER_PORTS[*]}"; else log "cluster  down"; rc=1; fi
  fi
  return $rc
}

case "${1:-}" in
  up)
    mkdir -p "$STACK_DIR"
    ensure_packages
    # Kafka takes longest: start it first, bring the others up while it boots.
    kafka_start
    redis_up
    if [ "$CLUSTER" = 1 ]; then cluster_up; fi
    pg_up
    kafka_wait
    print_env
    ;;
  down) kafka_down; pg_down; redis_down; cluster_down; log "stopped" ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
