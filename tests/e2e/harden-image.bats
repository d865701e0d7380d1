#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Regression tests for bugs found by breaking the image store on purpose:
# each one hung, wrote outside the store, or refused to work before its fix.
load helpers

setup() {
	setup_tmp
	IMAGES=$FIXTURES/images
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
}

teardown() {
	if [ -n "${RO_MNT:-}" ]; then umount "$RO_MNT" 2>/dev/null || true; fi
	teardown_tmp
}

store_listing() {
	(cd "$ROOT" && find . -printf '%p %y %s\n' | sort && cat images.json)
}

layout_copy() {
	cp -r "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" "$TEST_TMP/bad"
	chmod -R u+w "$TEST_TMP/bad"
	echo "$TEST_TMP/bad"
}

@test "harden: a FIFO in an OCI layout fails the load instead of hanging it" {
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	before=$(store_listing)
	d=$(layout_copy)
	m=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$d/index.json")
	rm "$d/blobs/sha256/$m"
	mkfifo "$d/blobs/sha256/$m"
	run timeout 20 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" load -i "$d"
	echo "status=$status output=$output"
	[ "$status" -ne 124 ]
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: "*"sha256:$m"* ]]
	[ "$(store_listing)" = "$before" ]

	# index.json itself a FIFO
	rm "$d/index.json"
	mkfifo "$d/index.json"
	run timeout 20 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" load -i "$d"
	echo "status=$status output=$output"
	[ "$status" -ne 124 ]
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(store_listing)" = "$before" ]
}

@test "harden: an empty --root or --runroot is refused and creates nothing under /" {
	for d in /blobs /layers /staging; do
		[ ! -e "$d" ] || skip "$d already exists on this machine"
	done
	run "$BERTH" --root "" images
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$output" = "berth: --root must not be empty" ]
	run env BERTH_ROOT= "$BERTH" images
	[ "$status" -ne 0 ]
	[ "$output" = "berth: --root must not be empty" ]
	run "$BERTH" --root "$ROOT" --runroot "" images
	[ "$status" -ne 0 ]
	[ "$output" = "berth: --runroot must not be empty" ]
	for d in /blobs /layers /staging; do
		[ ! -e "$d" ]
	done
}

@test "harden: a store on a read-only file system can be read, and writes fail cleanly" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	before=$(store_listing)
	RO_MNT=$ROOT
	mount --bind "$ROOT" "$ROOT"
	mount -o remount,bind,ro "$ROOT"

	run B images
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"busybox"*"1.38.0-musl"* ]]
	run B image inspect busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	run B history busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	run B system df
	[ "$status" -eq 0 ]

	for cmd in "tag busybox:1.38.0-musl x:y" "rmi busybox:1.38.0-musl" \
		"load -i $IMAGES/docker-archives/ggcr-whiteout_image.tar"; do
		run B $cmd
		echo "$cmd: status=$status output=$output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: "*"Read-only file system" ]]
	done
	umount "$ROOT"
	RO_MNT=
	[ "$(store_listing)" = "$before" ]
}
