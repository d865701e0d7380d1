#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: the main job on a real image.  Grows with each component.
set -euo pipefail
cd "$(dirname "$0")/.."
build/src/cli/berth version

# ---- berth build: a multi-stage Dockerfile (examples/site) ----
# A private store, so the demo never touches the machine's images.
demo_build() {
	local berth=$PWD/build/src/cli/berth
	local tmp
	tmp=$(mktemp -d /tmp/berth-demo-build.XXXXXX)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" RETURN
	b() { "$berth" --root "$tmp/root" --runroot "$tmp/run" "$@"; }
	echo "== base image: busybox as demo/busybox"
	tar -C "$(tests/helpers/busybox-rootfs)" -cf "$tmp/busybox.tar" .
	b import "$tmp/busybox.tar" demo/busybox:latest >/dev/null
	echo "== berth build -t demo/site examples/site"
	local t0 t1
	t0=$(date +%s%N)
	b build -t demo/site:latest examples/site
	t1=$(date +%s%N)
	echo "   cold build: $(((t1 - t0) / 1000000)) ms"
	echo "== berth history demo/site"
	b history demo/site
	echo "== the result runs: httpd serves the assembled site (fetched from inside)"
	b run --rm --user 0 --entrypoint /bin/sh demo/site -c \
		'httpd -p 8080 -h /www && sleep 0.2 && wget -q -O- http://127.0.0.1:8080/ && wget -q -O- http://127.0.0.1:8080/about.html'
	echo "== rebuild: every step comes from the cache"
	t0=$(date +%s%N)
	b build -t demo/site:latest examples/site 2>&1 | grep -E 'CACHED|DONE|naming'
	t1=$(date +%s%N)
	echo "   cached rebuild: $(((t1 - t0) / 1000000)) ms"
	echo "== a changed build arg: the steps before it stay cached"
	b build -t demo/site:custom --build-arg SITE_TITLE="berth, rebuilt" examples/site 2>&1 |
		grep -E '^#[0-9]+ (\[|CACHED|DONE)'
	b run --rm --user 0 --entrypoint /bin/sh demo/site:custom -c 'grep -o "<title>[^<]*" /www/index.html'
}
demo_build
