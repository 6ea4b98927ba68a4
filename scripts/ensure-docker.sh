#!/usr/bin/env bash
# Makes everything the Docker integration tests need available: the packages, a running engine,
# the two local registries (127.0.0.1:5000 open, 127.0.0.1:5001 with basic auth) and the fixture
# images. Used by CI and by the test setup. Idempotent, and every wait is bounded, so it fails with
# a message instead of hanging.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log_dir=/var/log/slipway
dockerd_log="$log_dir/dockerd.log"
engine_wait_seconds=60
registry_wait_seconds=30

say() { printf 'ensure-docker: %s\n' "$*"; }
die() {
  printf 'ensure-docker: ERROR: %s\n' "$*" >&2
  exit 1
}

# wait_for SECONDS PID COMMAND...: polls COMMAND every half second until it succeeds (0), the
# budget is spent (1), or process PID, the one expected to make it succeed, has died (2).
wait_for() {
  local budget=$1 pid=$2
  shift 2
  local deadline=$((SECONDS + budget))
  until "$@"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.5
  done
}

# Test runners start this script from several processes at once; one run does the work.
exec 9>/tmp/slipway-ensure-docker.lock
flock -w 900 9 || die 'another ensure-docker.sh run held the lock for 15 minutes'

install_packages() {
  local missing=()
  command -v docker >/dev/null || missing+=(docker)
  command -v dockerd >/dev/null || missing+=(dockerd)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  [ -x /bin/busybox ] || missing+=(/bin/busybox)
  command -v curl >/dev/null || missing+=(curl)
  if [ "${#missing[@]}" -eq 0 ]; then
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]} and not root, so apt-get cannot install them"
  say "missing ${missing[*]}: installing packages"
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 apt-get update -q || die 'apt-get update failed'
  timeout 900 apt-get install -y -q docker.io docker-registry busybox-static curl ||
    die 'apt-get install docker.io docker-registry busybox-static curl failed'
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

# The pid of a live dockerd from its pid file, or nothing.
running_dockerd_pid() {
  local pid=''
  if [ -f /var/run/docker.pid ]; then
    pid="$(cat /var/run/docker.pid)"
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    printf '%s' "$pid"
  fi
}

start_engine() {
  if engine_answers; then
    return
  fi
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'; not starting a local dockerd for it"
  fi
  local pid
  pid="$(running_dockerd_pid)"
  if [ -n "$pid" ]; then
    say "dockerd (pid $pid) is running but not answering yet; waiting for it"
  else
    mkdir -p "$log_dir"
    say "starting dockerd (log: $dockerd_log)"
    # setsid: the engine must outlive the test runner that may have started this script. Closing
    # fd 9 keeps the lock from being held by the daemon forever.
    setsid nohup dockerd >>"$dockerd_log" 2>&1 </dev/null 9>&- &
    pid=$!
  fi
  local outcome=0
  wait_for "$engine_wait_seconds" "$pid" engine_answers || outcome=$?
  if [ "$outcome" -ne 0 ]; then
    tail -n 20 "$dockerd_log" >&2 || true
    if [ "$outcome" -eq 2 ]; then
      die "dockerd exited before answering (log: $dockerd_log)"
    fi
    die "docker info still fails after ${engine_wait_seconds}s (dockerd log: $dockerd_log)"
  fi
  say 'docker engine is up'
}

# HTTP status of a GET, or 000 when nothing answers (curl's own convention for that).
http_status() {
  local url=$1
  shift
  curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" || true
}

registry_answers() { [ "$(http_status "$@")" = 200 ]; }

# ensure_registry NAME CONFIG URL ENV [curl args...]: the registry must answer 200 on URL; ENV is
# "NAME=value" settings for the registry process, space-separated, possibly empty.
ensure_registry() {
  local name=$1 config=$2 url=$3 env_settings=$4
  shift 4
  local status
  status="$(http_status "$url" "$@")"
  if [ "$status" = 200 ]; then
    return
  fi
  if [ "$status" != 000 ]; then
    die "$url answered HTTP $status, not 200: another server holds that port (Debian's own docker-registry service has auth on :5000; stop it with 'systemctl stop docker-registry')"
  fi
  local log="$log_dir/$name.log"
  mkdir -p "$log_dir"
  say "starting $name (log: $log)"
  local env_args
  read -r -a env_args <<<"$env_settings"
  setsid nohup env "${env_args[@]}" docker-registry serve "$config" >>"$log" 2>&1 </dev/null 9>&- &
  local pid=$! outcome=0
  wait_for "$registry_wait_seconds" "$pid" registry_answers "$url" "$@" || outcome=$?
  if [ "$outcome" -ne 0 ]; then
    tail -n 20 "$log" >&2 || true
    if [ "$outcome" -eq 2 ]; then
      die "$name exited before answering on $url (log: $log)"
    fi
    die "$name does not answer on $url after ${registry_wait_seconds}s (log: $log)"
  fi
  # A test run sets SLIPWAY_STARTED_RECORD so that it can stop, at its end, exactly the
  # registries it started (and none that CI or an earlier run started).
  if [ -n "${SLIPWAY_STARTED_RECORD:-}" ]; then
    printf 'registry %s %s\n' "$pid" "$name" >>"$SLIPWAY_STARTED_RECORD"
  fi
}

install_packages
start_engine
mkdir -p /var/lib/slipway-registry /var/lib/slipway-registry-auth
ensure_registry slipway-registry "$script_dir/registry-config.yml" http://127.0.0.1:5000/v2/ ''
# The htpasswd path depends on where the repository is checked out, so it cannot be in the config.
ensure_registry slipway-registry-auth "$script_dir/registry-auth-config.yml" \
  http://127.0.0.1:5001/v2/ "REGISTRY_AUTH_HTPASSWD_PATH=$script_dir/registry-auth.htpasswd" \
  -u slipway:slipway-test-password
say 'registries are up'

timeout 900 bash "$script_dir/build-test-images.sh" || die 'building the fixture images failed'
