#!/usr/bin/env bash
# A local trace backend: Jaeger v2 (v1.75.0's `jaeger` binary, an OpenTelemetry Collector
# with Jaeger's in-memory storage and UI), built from its Go module when missing. The
# engine sends its spans to it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318.
#
#   tools/stack/jaeger.sh build   build the binary (if missing) and print its path
#   tools/stack/jaeger.sh run     build if missing, then run it in the foreground
#
#   JAEGER_HOST             address it listens on (127.0.0.1)
#   JAEGER_OTLP_HTTP_PORT   OTLP/HTTP receiver, what the engine sends to (4318)
#   JAEGER_OTLP_GRPC_PORT   OTLP/gRPC receiver (4317)
#   JAEGER_UI_PORT          the UI and the query API, /api/traces/<traceId> (16686)
#   JAEGER_QUERY_GRPC_PORT  the query API over gRPC (16685)
#   JAEGER_MAX_TRACES       traces kept in memory (100000)
#   JAEGER_BIN              a jaeger binary to use instead of building one
#   JAEGER_UI_ASSETS        a built jaeger-ui (its index.html's folder): the Go module has
#                           none, so without it the UI page is a placeholder and traces are
#                           read through the query API (docs/OPERATIONS.md)
#   JAEGER_DIR              where the binary and the config live (.stack/jaeger)
#
# Only these ports: no remote sampling, health check, zpages or self-metrics listeners,
# so several can run side by side (the tests start their own).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION=v1.75.0
DIR="${JAEGER_DIR:-$ROOT/.stack/jaeger}"
BIN="${JAEGER_BIN:-$DIR/jaeger-$VERSION}"
HOST="${JAEGER_HOST:-127.0.0.1}"

log() { printf '[jaeger] %s\n' "$*" >&2; }

build() {
  [ -x "$BIN" ] && return 0
  command -v go >/dev/null || {
    log "go is missing: it builds jaeger $VERSION (https://go.dev/dl/), or set JAEGER_BIN"
    return 1
  }
  log "building jaeger $VERSION into $BIN (a few minutes the first time)"
  mkdir -p "$(dirname "$BIN")"
  # A throwaway module: jaeger's main package is built as a tool dependency of it, with
  # the versions its go.mod asks for (-mod=mod: go.sum is written as needed).
  local module
  module="$(mktemp -d)"
  trap 'rm -rf "$module"' RETURN
  (
    cd "$module"
    export GOFLAGS=-mod=mod
    go mod init jaeger-build >/dev/null 2>&1
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$VERSION"
    go build -o "$BIN.partial" github.com/jaegertracing/jaeger/cmd/jaeger
  )
  mv "$BIN.partial" "$BIN"
}

config() {
  cat <<EOF
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    traces:
      level: none
    logs:
      level: warn

extensions:
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: ${JAEGER_MAX_TRACES:-100000}
  jaeger_query:
    storage:
      traces: memory_store
    # Its own traces would go to an OTLP endpoint on :4317, maybe nobody's (or ours).
    enable_tracing: false
    http:
      endpoint: "$HOST:${JAEGER_UI_PORT:-16686}"
    grpc:
      endpoint: "$HOST:${JAEGER_QUERY_GRPC_PORT:-16685}"
$( [ -n "${JAEGER_UI_ASSETS:-}" ] && printf '    ui:\n      assets_path: "%s"\n' "$JAEGER_UI_ASSETS" )

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "$HOST:${JAEGER_OTLP_GRPC_PORT:-4317}"
      http:
        endpoint: "$HOST:${JAEGER_OTLP_HTTP_PORT:-4318}"

processors:
  batch:
    timeout: 100ms

exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
EOF
}

case "${1:-run}" in
  build)
    build
    echo "$BIN"
    ;;
  run)
    build
    mkdir -p "$DIR"
    file="$DIR/config-${JAEGER_UI_PORT:-16686}.yaml"
    config >"$file"
    log "UI http://$HOST:${JAEGER_UI_PORT:-16686} · OTLP/HTTP http://$HOST:${JAEGER_OTLP_HTTP_PORT:-4318}"
    # exec: a signal to this script reaches jaeger itself; the config is read at start.
    exec "$BIN" --config "$file"
    ;;
  *)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
