#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever shardkit needs to build, test
# and benchmark that is not installed yet. Idempotent; needs root or sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  liburing-dev liblz4-dev libxxhash-dev libisal-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libhiredis-dev nettle-dev
  redis-server redis-tools fio
  clang libclang-rt-14-dev
)
# node and npm run the offline validation of the Kubernetes manifests
# (tests/deploy, npm package kubernetes-models). Checked by command, not by
# package: a machine with NodeSource's nodejs (which bundles npm and
# conflicts with Debian's npm package) keeps its own.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a system redis-server on 6379 after install; shardkit's tests
# use their own servers on free ports and do not need it.
if command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
