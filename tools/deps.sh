#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every build and test dependency from Debian's packages.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
	# build
	gcc meson ninja-build pkg-config clang-format
	libjansson-dev libcap-dev libseccomp-dev libarchive-dev libssl-dev
	zlib1g-dev libzstd-dev libcurl4-openssl-dev
	# tests
	libcmocka-dev bats busybox-static iproute2 nftables procps util-linux
	tar gzip zstd xz-utils bzip2 jq python3 strace
	openssl # a self-signed certificate for ADD's https test
	golang-github-containers-common # a real seccomp profile for unit tests
	python3-jsonschema # OCI schema checks in unit tests
	# image interop tests and bench/load (works offline: podman load/save)
	podman
	# berth-runtime driven by real engines (e2e interop tests)
	containerd docker.io runc crun
	# make demo fetches from a container's web server
	curl
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run 'make deps' as root)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
