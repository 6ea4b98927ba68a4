#!/usr/bin/env bash
# Builds the images the Docker integration tests use, from local files only: no registry on the
# internet is reachable here. Re-running is cheap: images whose inputs did not change are skipped.
# Expects the engine and the local registries of scripts/ensure-docker.sh to be up.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixtures="$repo_root/test/fixtures/images"
base_image=slipway-test/busybox:latest
hash_label=io.slipway.fixture-hash
registry=127.0.0.1:5000
auth_registry=127.0.0.1:5001
auth_user=slipway
auth_password=slipway-test-password

# "<tag under slipway-test/> <dockerfile name without .Dockerfile>"
local_fixtures=(
  'web:v1 web-v1'
  'web:v2 web-v2'
  'web-slow:latest web-slow'
  'web-never:latest web-never'
  'web-hang:latest web-hang'
  'web-crash:latest web-crash'
  'web-noexpose:latest web-noexpose'
  'web-port-9090:latest web-port-9090'
  'web-with-release-label:latest web-with-release-label'
  'web-500:latest web-500'
  'web-unstartable:latest web-unstartable'
  'web-ready-stamp:latest web-ready-stamp'
  'web-held:v1 web-held-v1'
  'web-held:v2 web-held-v2'
)

say() { printf 'build-test-images: %s\n' "$*"; }
die() {
  printf 'build-test-images: ERROR: %s\n' "$*" >&2
  exit 1
}

# Runs a command quietly, showing its output only when it fails.
quiet() {
  local output
  if ! output="$("$@" 2>&1)"; then
    printf '%s\n' "$output" >&2
    die "command failed: $*"
  fi
}

temp_dirs=()
cleanup() {
  if [ "${#temp_dirs[@]}" -gt 0 ]; then
    rm -rf "${temp_dirs[@]}"
  fi
}
trap cleanup EXIT

exec 8>/tmp/slipway-build-test-images.lock
flock -w 600 8 || die 'another build-test-images.sh run held its lock for 10 minutes'

build_base_image() {
  if docker image inspect "$base_image" >/dev/null 2>&1; then
    return
  fi
  say "importing $base_image from /bin/busybox"
  local rootfs
  rootfs="$(mktemp -d)"
  temp_dirs+=("$rootfs")
  mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/root" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    if [ "$applet" != busybox ]; then
      ln -s busybox "$rootfs/bin/$applet"
    fi
  done
  # Scripts with an "#!/usr/bin/env" line expect env there.
  ln -s ../../bin/busybox "$rootfs/usr/bin/env"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' - "$base_image" >/dev/null ||
    die "docker import of $base_image failed"
}

# One hash over everything an image is made from, stored as a label: equal label, nothing to do.
fixture_hash() {
  (
    docker image inspect -f '{{.Id}}' "$base_image"
    sha256sum <"${BASH_SOURCE[0]}"
    cd "$fixtures"
    find . -type f -printf '%m %p\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-32
}

image_hash() {
  if docker image inspect "$1" >/dev/null 2>&1; then
    docker image inspect -f "{{index .Config.Labels \"$hash_label\"}}" "$1"
  fi
}

build_fixture() {
  local ref=$1 dockerfile=$2
  say "building $ref"
  # The legacy builder ships with every engine version; BuildKit needs buildx, which may be absent.
  quiet env DOCKER_BUILDKIT=0 docker build --label "$hash_label=$hash" \
    -f "$fixtures/dockerfiles/$dockerfile.Dockerfile" -t "$ref" "$fixtures"
  built_something=true
}

# Whether the registry serves repo:tag built from the current fixture inputs. The image config
# blob carries the hash label, so this needs no local copy of the image.
registry_is_current() {
  local registry_host=$1 repo=$2 tag=$3
  shift 3
  local manifest config_digest config
  manifest="$(curl -fsS -m 10 "$@" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$registry_host/v2/$repo/manifests/$tag" 2>/dev/null)" || return 1
  config_digest="$(printf '%s' "$manifest" | tr -d ' \n' |
    grep -o '"config":{[^}]*}' | grep -o 'sha256:[0-9a-f]*')" || return 1
  config="$(curl -fsSL -m 10 "$@" "http://$registry_host/v2/$repo/blobs/$config_digest" \
    2>/dev/null)" || return 1
  [[ "$config" == *"\"$hash_label\":\"$hash\""* ]]
}

# Pushes then drops the registry-named tag locally, so the first pull of it in a test is real.
push_as() {
  local local_ref=$1 remote_ref=$2
  say "pushing $remote_ref"
  quiet docker tag "$local_ref" "$remote_ref"
  quiet docker push "$remote_ref"
  quiet docker rmi "$remote_ref"
}

build_base_image
hash="$(fixture_hash)"
built_something=false

for entry in "${local_fixtures[@]}"; do
  read -r tag dockerfile <<<"$entry"
  ref="slipway-test/$tag"
  if [ "$(image_hash "$ref")" != "$hash" ]; then
    build_fixture "$ref" "$dockerfile"
  fi
done

for tag in v1 v2; do
  if ! registry_is_current "$registry" slipway-test/web "$tag"; then
    push_as "slipway-test/web:$tag" "$registry/slipway-test/web:$tag"
  fi
done

# Lives only in the registry (no local tag at all), so pulling it downloads a layer.
if ! registry_is_current "$registry" slipway-test/pull-only v1; then
  build_fixture slipway-test/pull-only:v1 pull-only
  push_as slipway-test/pull-only:v1 "$registry/slipway-test/pull-only:v1"
  quiet docker rmi slipway-test/pull-only:v1
fi

# For the benchmarks only (npm run bench sets BUILD_BENCH_IMAGES=1), so the tests' setup stays
# fast: ~50 MB of random data that lives only in the registry, for the cold-pull benchmark.
if [ "${BUILD_BENCH_IMAGES:-}" = 1 ] &&
  ! registry_is_current "$registry" slipway-test/bench-large v1; then
  build_fixture slipway-test/bench-large:v1 bench-large
  push_as slipway-test/bench-large:v1 "$registry/slipway-test/bench-large:v1"
  quiet docker rmi slipway-test/bench-large:v1
fi

if ! registry_is_current "$auth_registry" slipway-test/web v1 -u "$auth_user:$auth_password"; then
  # A throwaway client config keeps the login out of the user's ~/.docker/config.json.
  client_config="$(mktemp -d)"
  temp_dirs+=("$client_config")
  export DOCKER_CONFIG="$client_config"
  printf '%s' "$auth_password" | quiet docker login -u "$auth_user" --password-stdin "$auth_registry"
  push_as slipway-test/web:v1 "$auth_registry/slipway-test/web:v1"
  unset DOCKER_CONFIG
fi

if [ "$built_something" = true ]; then
  # Rebuilt fixtures leave their previous versions untagged; only those are dropped.
  quiet docker image prune -f --filter "label=$hash_label"
fi

say 'fixture images are ready'
