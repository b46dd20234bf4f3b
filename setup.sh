#!/usr/bin/env bash
# Install what subq needs to build and test on Debian 12. Idempotent; silent when all is present.
set -euo pipefail
packages=(
  cmake make gcc clang libclang-rt-14-dev pkg-config
  libvulkan-dev libvulkan-volk-dev libvkfft-dev glslang-dev glslang-tools spirv-tools
  mesa-vulkan-drivers vulkan-validationlayers libcjson-dev
  python3 python3-numpy python3-torch
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
