#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: the main job on a real image.  Grows with each component.
set -euo pipefail
cd "$(dirname "$0")/.."
berth=$PWD/build/src/cli/berth
"$berth" version

# A private store, so the demo never touches the machine's images.  It
# goes on any exit, with whatever a failed step left running or mounted.
tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
b() { "$berth" --root "$tmp/root" --runroot "$tmp/run" "$@"; }
cleanup() {
	local ids m
	ids=$(b ps -aq 2>/dev/null) || true
	[ -z "$ids" ] || b rm -f $ids >/dev/null 2>&1 || true
	{ grep -F " $tmp/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
ms_since() { echo "$((($(date +%s%N) - $1) / 1000000)) ms"; }

# ---- a base image without a registry: Debian's busybox-static ----
demo_base_image() {
	echo "== base image: Debian's busybox-static through berth import, as busybox:latest"
	# The rootfs cache came from mktemp (0700): the image's / must be 0755.
	tar -C "$(tests/helpers/busybox-rootfs)" --mode=go+rX -cf "$tmp/busybox.tar" .
	b import "$tmp/busybox.tar" busybox:latest >/dev/null
}

# ---- berth build: a multi-stage Dockerfile (examples/site) ----
demo_build() {
	echo "== berth build -t demo/site examples/site"
	local t0
	t0=$(date +%s%N)
	b build -t demo/site:latest examples/site
	echo "   cold build: $(ms_since "$t0")"
	echo "== berth history demo/site"
	b history demo/site
	echo "== the result runs: httpd serves the assembled site (fetched from inside)"
	b run --rm --user 0 --entrypoint /bin/sh demo/site -c \
		'httpd -p 8080 -h /www && sleep 0.2 && wget -q -O- http://127.0.0.1:8080/ && wget -q -O- http://127.0.0.1:8080/about.html'
	echo "== rebuild: every step comes from the cache"
	t0=$(date +%s%N)
	b build -t demo/site:latest examples/site 2>&1 | grep -E 'CACHED|DONE|naming'
	echo "   cached rebuild: $(ms_since "$t0")"
	echo "== a changed build arg: the steps before it stay cached"
	b build -t demo/site:custom --build-arg SITE_TITLE="berth, rebuilt" examples/site 2>&1 |
		grep -E '^#[0-9]+ (\[|CACHED|DONE)'
	b run --rm --user 0 --entrypoint /bin/sh demo/site:custom -c 'grep -o "<title>[^<]*" /www/index.html'
}

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		[ -z "$(ss -Hltn "sport = :$p")" ] && echo "$p" && return 0
	done
	echo "demo: no free port found" >&2
	return 1
}

# ---- berth run: a detached web server, reached from the host ----
demo_run() {
	local port t0 id
	port=$(free_port)
	mkdir "$tmp/www"
	echo "<h1>hello from a berth container</h1>" >"$tmp/www/index.html"
	echo "== berth run -d: busybox httpd on 127.0.0.1:$port (--network host), serving a bind-mounted page"
	t0=$(date +%s%N)
	id=$(b run -d --name demo-web --init --network host -v "$tmp/www:/www:ro" busybox \
		httpd -f -v -p "127.0.0.1:$port" -h /www)
	echo "   started ${id:0:12} in $(ms_since "$t0")"
	echo "== curl http://127.0.0.1:$port/ from the host"
	for _ in $(seq 50); do
		curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.1
	done
	curl -fsS --max-time 2 "http://127.0.0.1:$port/"
	echo "== berth ps"
	b ps
	local mon
	mon=$(pgrep -f -- "--root $tmp/root --runroot $tmp/run container-monitor .*$id")
	echo "   its monitor, berth-monitor (pid $mon), holds $(awk '/^VmRSS/ {print $2, $3}' "/proc/$mon/status") resident"
	echo "== berth logs demo-web (httpd -v logs each request)"
	b logs demo-web 2>&1
	echo "== berth image tree busybox"
	b image tree busybox
	echo "== berth stop demo-web; berth rm demo-web"
	b stop demo-web >/dev/null
	b inspect -f '   exited with {{.State.ExitCode}}' demo-web
	b rm demo-web >/dev/null
	echo "== berth ps -a: nothing left"
	b ps -a
}

demo_base_image
demo_build
demo_run
