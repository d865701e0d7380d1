# SPDX-License-Identifier: Apache-2.0
# Shared by the container-*.bats files: a temp --root/--runroot with the
# fixture images loaded on demand, and a teardown that leaves nothing
# running or mounted even when the test failed half-way.
load helpers
bats_require_minimum_version 1.5.0

IMG=busybox:1.38.0-musl

container_setup() {
	setup_tmp
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
}

load_busybox() {
	B load -i "$FIXTURES/images/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
}

load_glibc() {
	B load -i "$FIXTURES/images/oci-layouts/busybox-1.38.0-glibc-amd64" >/dev/null
}

# hello-world's layout has no tag: it is known by its ID.
HELLO=sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604
load_hello() {
	B load -i "$FIXTURES/images/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
}

# An image made here: Debian's busybox-static rootfs through `berth import`.
import_busybox() {
	local rootfs
	rootfs=$(busybox_rootfs)
	# The cache dir came from mktemp (0700): the image's / must be 0755.
	tar -C "$rootfs" --mode=go+rX -cf "$TEST_TMP/bb.tar" .
	B import "$TEST_TMP/bb.tar" "${1:-local/bb:1}" >/dev/null
}

container_teardown() {
	[ -n "${ROOT:-}" ] || return 0
	if [ -d "$ROOT/containers" ]; then
		local ids
		ids=$(B ps -aq --no-trunc 2>/dev/null)
		[ -z "$ids" ] || B rm -f $ids >/dev/null 2>&1 || true
	fi
	# Monitors of this root that rm could not reach: by PID.
	local p
	for p in $(pgrep -f -- "--root $ROOT --runroot" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -d "$RUNROOT/runtime" ]; then
		local id
		for id in $(ls "$RUNROOT/runtime"); do
			"$BERTH_RUNTIME" --root "$RUNROOT/runtime" delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
	teardown_tmp
}

# Nothing of this root left: monitors, mounts, runtime state, records.
assert_clean() {
	run pgrep -f -- "--root $ROOT --runroot"
	[ "$status" -ne 0 ]
	run grep -F " $ROOT/" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$RUNROOT/runtime" 2>/dev/null)" ]
	[ -z "$(ls -A "$ROOT/containers" 2>/dev/null)" ]
}

# $output is one line containing $1.
one_line() {
	[ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output"; return 1; }
	[[ "$output" == *"$1"* ]] || { echo "no '$1' in: $output"; return 1; }
}

# Wait (up to ~5 s) for a container's status.
wait_status() {
	local i
	for i in $(seq 50); do
		[ "$(B inspect -f '{{.State.Status}}' "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 never reached $2: $(B inspect -f '{{.State.Status}}' "$1")"
	return 1
}
