#!/usr/bin/env bash
# Makes the HAProxy binary the ingress tests need available (Debian's package, 2.6). Only the
# binary is wanted: each test starts its own haproxy on random 127.0.0.1 ports, so a system
# service the package may start is stopped again. Idempotent and quiet when already installed.
set -euo pipefail

say() { printf 'ensure-haproxy: %s\n' "$*"; }
die() {
  printf 'ensure-haproxy: ERROR: %s\n' "$*" >&2
  exit 1
}

# Test runners may start this from several processes at once; one run does the work.
exec 9>/tmp/slipway-ensure-haproxy.lock
flock -w 900 9 || die 'another ensure-haproxy.sh run held the lock for 15 minutes'

if ! command -v haproxy >/dev/null; then
  [ "$(id -u)" -eq 0 ] || die 'haproxy is missing and not root, so apt-get cannot install it'
  say 'haproxy is missing: installing the package'
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101: the package must not start its own service on the default port.
  policy=/usr/sbin/policy-rc.d
  created_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=true
  fi
  installed=true
  if ! timeout 900 apt-get install -y -q haproxy >/dev/null; then
    timeout 600 apt-get update -q >/dev/null || installed=false
    if [ "$installed" = true ]; then
      timeout 900 apt-get install -y -q haproxy >/dev/null || installed=false
    fi
  fi
  if [ "$created_policy" = true ]; then rm -f "$policy"; fi
  [ "$installed" = true ] || die 'apt-get install haproxy failed'
fi

# sed reads all of it: `head -n 1` exits early and, under pipefail, a SIGPIPE to haproxy fails the run.
version="$(haproxy -v 2>/dev/null | sed -n 1p)"
case "$version" in
  *"version 2."* | *"version 3."*) ;;
  *) die "unexpected haproxy version: $version" ;;
esac
[ -n "${ENSURE_HAPROXY_QUIET:-}" ] || say "$version"
