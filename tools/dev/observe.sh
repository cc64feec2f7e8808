#!/usr/bin/env bash
# npm run observe: Prometheus (Debian's `prometheus` package) on loopback with the repo's
# scrape config and rules (prometheus/), scraping the engine running on this machine —
# `npm start`'s ops ports (API_METRICS_PORT 9100, WORKER_METRICS_PORT 9101,
# REAPER_METRICS_PORT 9102) unless the environment names others. Runs until Ctrl-C.
#
#   OBSERVE_PORT        Prometheus's own port (9090)
#   OBSERVE_INTERVAL    scrape and rule evaluation interval (the repo's: 5s)
#   OBSERVE_DIR         its config and data (.stack/prometheus)
#
# And a trace backend beside it: Jaeger (tools/stack/jaeger.sh, built into .stack/jaeger
# the first time when Go is there) receiving OTLP on 127.0.0.1:4318, its query API on
# :16686; start the engine with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 to send
# it spans. Its JAEGER_* variables move it; OBSERVE_TRACES=0 leaves it out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

source tools/dev/need-command.sh
need_command prometheus prometheus

dir="${OBSERVE_DIR:-.stack/prometheus}"
mkdir -p "$dir/data"
cp prometheus/rules.yml "$dir/rules.yml"
# The repo's config, with the compose service names swapped for this machine's ports.
sed -e "s/\"api:9100\"/\"127.0.0.1:${API_METRICS_PORT:-9100}\"/" \
  -e "s/\"worker:9101\"/\"127.0.0.1:${WORKER_METRICS_PORT:-9101}\"/" \
  -e "s/\"reaper:9102\"/\"127.0.0.1:${REAPER_METRICS_PORT:-9102}\"/" \
  -e "s/^\(  scrape_interval:\).*/\1 ${OBSERVE_INTERVAL:-5s}/" \
  -e "s/^\(  evaluation_interval:\).*/\1 ${OBSERVE_INTERVAL:-5s}/" \
  prometheus/prometheus.yml >"$dir/prometheus.yml"
promtool check config "$dir/prometheus.yml" >&2

# Both in the background and waited for: a signal to this script stops both.
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
if [ "${OBSERVE_TRACES:-1}" != 0 ]; then
  if bash tools/stack/jaeger.sh build >/dev/null; then
    bash tools/stack/jaeger.sh run &
    pids+=($!)
    echo "[observe] traces: start the engine with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT:-4318}; read one with npm run trace -- <traceId>" >&2
  else
    echo "[observe] no trace backend (jaeger could not be built): metrics only" >&2
  fi
fi
echo "[observe] prometheus on http://127.0.0.1:${OBSERVE_PORT:-9090}" >&2
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:${OBSERVE_PORT:-9090}" --log.level=warn &
pids+=($!)
wait -n "${pids[@]}"
