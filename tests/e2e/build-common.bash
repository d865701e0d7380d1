# SPDX-License-Identifier: Apache-2.0
# Shared by tests/e2e/build-*.bats: a store per test holding busybox (the
# OCI fixture, as busybox:1.38.0-musl) and, when asked, the busybox rootfs
# helper imported as bb:latest (it has the users "user" and group "extra").

load helpers

build_setup() {
	setup_tmp
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	CTX=$TEST_TMP/ctx
	mkdir -p "$CTX"
	B load -i "$FIXTURES/images/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
}

build_teardown() {
	teardown_tmp
}

import_bb() {
	tar -C "$(busybox_rootfs)" -cf "$TEST_TMP/bb.tar" .
	B import "$TEST_TMP/bb.tar" bb:latest >/dev/null
}

# The status line of step N in $output: CACHED or DONE.
step_status() {
	grep -E "^#$1 (CACHED|DONE)" <<<"$output" | awk '{print $2}'
}

# Run a shell command in image $1 with `berth run`: the image's layers
# and config, for real, in a container.  As root: what runs as the image's
# USER is checked at build time (RUN), where it ran as that user.
run_in() {
	local img=$1
	shift
	run timeout 60 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" run --rm --user 0 --entrypoint /bin/sh "$img" -c "$*"
}

# No mount, work dir, runtime state or cgroup of any build remains.
assert_nothing_left() {
	[ -z "$(grep -F " $TEST_TMP" /proc/self/mountinfo)" ]
	[ -z "$(ls -A "$ROOT/build" 2>/dev/null)" ]
	[ -z "$(ls -A "$RUNROOT/build" 2>/dev/null)" ]
	# a build's cgroup is named berth-build-<its pid>-<step>: one whose
	# build is gone was left behind (others may be building meanwhile)
	local cg pid
	for cg in $(find /sys/fs/cgroup -maxdepth 4 -type d -name "berth-build-*" 2>/dev/null); do
		pid=${cg##*/berth-build-}
		pid=${pid%%-*}
		! kill -0 "$pid" 2>/dev/null || continue
		echo "cgroup left behind: $cg"
		return 1
	done
	[ -z "$(ls -A "$ROOT/staging" 2>/dev/null)" ]
}
