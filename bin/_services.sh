# Sourced by bin/test: make sure PostgreSQL, Redis and Chromium are there for the tests.
# A service the tests would use (BAZAAR_TEST_PG_ADMIN_URL / BAZAAR_TEST_REDIS_URL, default
# 127.0.0.1:5432 and :6379) that does not answer is replaced by a throw-away one on a free
# loopback port (initdb in a temporary folder; redis-server without persistence), stopped on exit.
PY=${PY:-.venv/bin/python}
services_tmp=
_url_hostport() { "$PY" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or int(sys.argv[2]))' "$1" "$2"; }
_answers() { "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()' "$1" "$2" 2>/dev/null; }
_free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
_as_owner() {  # initdb and postgres refuse to run as root: run them as the folder's owner
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_services() {
  [ -n "$services_tmp" ] || return 0
  if [ -f "$services_tmp/pg/postmaster.pid" ]; then
    _as_owner "$pg_bin/pg_ctl" -D "$services_tmp/pg" -m fast -w -t 30 stop >/dev/null || true
  fi
  if [ -f "$services_tmp/redis.pid" ]; then
    kill "$(cat "$services_tmp/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$services_tmp/redis.pid" ] || break; sleep 0.1; done
  fi
  rm -rf "$services_tmp"
  services_tmp=
}

_services_dir() {
  if [ -z "$services_tmp" ]; then
    services_tmp=$(mktemp -d /tmp/bazaar-test-services.XXXXXX)
    chmod 755 "$services_tmp"
    trap stop_services EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
  fi
}

ensure_postgresql() {
  local url=${BAZAAR_TEST_PG_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
  read -r host port < <(_url_hostport "$url" 5432)
  _answers "$host" "$port" && return 0
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  if [ ! -x "$pg_bin/initdb" ]; then
    echo "bin/test: PostgreSQL at $host:$port does not answer and initdb is not installed: run 'apt-get install postgresql' (or set BAZAAR_TEST_PG_ADMIN_URL)" >&2
    exit 2
  fi
  _services_dir
  local own
  own=$(_free_port)
  echo "bin/test: PostgreSQL at $host:$port not answering; starting a throw-away one on 127.0.0.1:$own"
  mkdir "$services_tmp/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$services_tmp/pg"
  _as_owner "$pg_bin/initdb" -D "$services_tmp/pg" -U postgres -A trust -E UTF8 --no-sync >"$services_tmp/initdb.log" \
    || { cat "$services_tmp/initdb.log" >&2; exit 2; }
  _as_owner "$pg_bin/pg_ctl" -D "$services_tmp/pg" -w -t 60 -l "$services_tmp/pg/server.log" \
    -o "-p $own -k $services_tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$services_tmp/pg/server.log" >&2; exit 2; }
  export BAZAAR_TEST_PG_ADMIN_URL="postgresql+psycopg://postgres@127.0.0.1:$own/postgres"
}

ensure_redis() {
  local url=${BAZAAR_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
  read -r host port < <(_url_hostport "$url" 6379)
  _answers "$host" "$port" && return 0
  if ! command -v redis-server >/dev/null; then
    echo "bin/test: Redis at $host:$port does not answer and redis-server is not installed: run 'apt-get install redis-server' (or set BAZAAR_TEST_REDIS_URL)" >&2
    exit 2
  fi
  _services_dir
  local own
  own=$(_free_port)
  echo "bin/test: Redis at $host:$port not answering; starting a throw-away one on 127.0.0.1:$own"
  redis-server --bind 127.0.0.1 --port "$own" --save "" --appendonly no --daemonize yes \
    --dir "$services_tmp" --pidfile "$services_tmp/redis.pid" --logfile "$services_tmp/redis.log"
  for _ in $(seq 50); do _answers 127.0.0.1 "$own" && break; sleep 0.1; done
  export BAZAAR_TEST_REDIS_URL="redis://127.0.0.1:$own/0"
}

ensure_chromium() {
  local chromium=${BAZAAR_CHROMIUM:-/usr/bin/chromium}
  [ -x "$chromium" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bin/test: $chromium missing; installing Debian's chromium with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null
    [ -x "$chromium" ] && return 0
  fi
  echo "bin/test: $chromium not found: run 'sudo apt-get install chromium fonts-noto-core' (or set BAZAAR_CHROMIUM)" >&2
  exit 2
}
