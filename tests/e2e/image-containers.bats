#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The image store beside real containers: rmi and prune keep what a
# container uses, images built on others are intermediate (images -a), and
# system df counts images, containers and volumes.
load container-common

BB=sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9

setup() {
	container_setup
}

teardown() {
	container_teardown
}

@test "rmi and prune keep an image a created, then a running, container uses" {
	load_busybox
	load_hello
	cid=$(B create --name "$(unique_name rmi)" "$IMG" true)
	# by name: Docker's message, nothing removed
	run B rmi "$IMG"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: conflict: unable to remove repository reference \"$IMG\" (must force) - container ${cid:0:12} is using its referenced image 654fc8fd836e"* ]]
	# by ID
	run B rmi 654fc8fd836e
	[ "$status" -eq 1 ]
	[[ "$output" == *"unable to delete 654fc8fd836e (must be forced) - image is being used by stopped container ${cid:0:12}"* ]]
	# prune -a removes the unused hello-world only, named or not
	B tag "$HELLO" hello:x
	run B image prune -a
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Images:" ]
	[ "${lines[1]}" = "untagged: hello:x" ]
	[ "${lines[2]}" = "deleted: $HELLO" ]
	[[ "$output" != *"$BB"* ]]
	run B images -q --no-trunc
	[ "$output" = "$BB" ]
	# the container still starts from its layers
	run B start -a "$cid"
	[ "$status" -eq 0 ]
	B rm "$cid" >/dev/null

	# a running container: even -f can't remove its image by ID
	cid=$(B run -d --name "$(unique_name rmi)" "$IMG" sleep 60)
	run B rmi -f 654fc8fd836e
	[ "$status" -eq 1 ]
	[[ "$output" == *"(cannot be forced) - image is being used by running container ${cid:0:12}"* ]]
	run B images -q
	[ "$output" = 654fc8fd836e ]
	# by name with -f: the name goes, the image and its layers stay
	run B rmi -f "$IMG"
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: $IMG" ]
	run B image prune -a
	[ "$status" -eq 0 ]
	[[ "$output" != *"$BB"* ]]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
	run B exec "$cid" true
	[ "$status" -eq 0 ]
	B rm -f "$cid" >/dev/null
	# unused now: prune takes it (dangling), and the store is empty
	run B image prune
	[[ "$output" == *"deleted: $BB"* ]]
	[ -z "$(ls "$ROOT/layers")" ]
	[ -z "$(ls "$ROOT/blobs/sha256")" ]
	assert_clean
}

@test "an image committed from an untagged one makes it intermediate" {
	load_hello
	cid=$(B create --name "$(unique_name lineage)" "$HELLO")
	run B commit "$cid" berth-test/child:1
	[ "$status" -eq 0 ]
	child=$output
	B rm "$cid" >/dev/null
	# hello-world is now the child's parent: hidden without -a, and not
	# dangling
	run B images -q --no-trunc
	[ "$output" = "$child" ]
	run B images -a -q --no-trunc
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" == *"$HELLO"* ]]
	run B images -a
	[[ "$output" == *"<none>"*"<none>"*"b23a8f6569ae"* ]]
	run B images -q --filter dangling=true
	[ -z "$output" ]
	run B images -a -q --filter dangling=false
	[ "$output" = "${child:7:12}" ]
	run B image inspect -f '{{.Parent}}' berth-test/child:1
	[ "$output" = "$HELLO" ]
	run B image inspect -f '{{.Parent}}' "$HELLO"
	[ "$output" = "" ]
	# prune keeps an intermediate image; rmi by ID refuses it, even -f
	run B image prune
	[[ "$output" != *"$HELLO"* ]]
	run B rmi -f b23a8f6569ae
	[ "$status" -eq 1 ]
	[[ "$output" == *"unable to delete b23a8f6569ae (cannot be forced) - image has dependent child images"* ]]
	# --no-prune: the child goes, its parent stays (dangling now)
	B tag berth-test/child:1 berth-test/child:2
	run B rmi --no-prune berth-test/child:1 berth-test/child:2
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = "Deleted: $child" ]
	[ "${#lines[@]}" -eq 3 ]
	run B images -q --filter dangling=true --no-trunc
	[ "$output" = "$HELLO" ]
	# rmi without --no-prune takes the untagged parent with the child
	cid=$(B create "$HELLO")
	child=$(B commit "$cid" berth-test/child:1)
	B rm "$cid" >/dev/null
	run B rmi berth-test/child:1
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "Deleted: $child" ]
	[ "${lines[2]}" = "Deleted: $HELLO" ]
	[ -z "$(B images -aq)" ]
	[ -z "$(ls "$ROOT/layers")" ]
	# a tagged parent stays; a parent by name loses only its name
	load_hello
	B tag "$HELLO" hello:base
	cid=$(B create hello:base)
	child=$(B commit "$cid" berth-test/child:1)
	B rm "$cid" >/dev/null
	run B rmi berth-test/child:1
	[ "${#lines[@]}" -eq 2 ]
	[ "$(B images -q --no-trunc)" = "$HELLO" ]
	cid=$(B create hello:base)
	child=$(B commit "$cid" berth-test/child:1)
	B rm "$cid" >/dev/null
	run B rmi hello:base
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: hello:base" ]
	[ "$(B images -aq | wc -l)" -eq 2 ]
	# prune -a: the child, then its parent
	run B image prune -a
	[[ "$output" == *"deleted: $child"*"deleted: $HELLO"* ]]
	[ -z "$(B images -aq)" ]
	assert_clean
}

@test "create and rmi at the same time: the container's image is never lost" {
	local i ok_create ok_rmi
	for i in 1 2 3 4 5; do
		load_busybox
		B create "$IMG" true >"$TEST_TMP/create.out" 2>&1 &
		pid=$!
		B rmi "$IMG" >"$TEST_TMP/rmi.out" 2>&1 && ok_rmi=1 || ok_rmi=0
		wait "$pid" && ok_create=1 || ok_create=0
		cat "$TEST_TMP/create.out" "$TEST_TMP/rmi.out"
		# exactly one of them won, and a container has its image
		[ $((ok_create + ok_rmi)) -eq 1 ]
		if [ "$ok_create" -eq 1 ]; then
			[ "$(B images -q)" = 654fc8fd836e ]
			run B start -a "$(cat "$TEST_TMP/create.out")"
			[ "$status" -eq 0 ]
			B rm "$(cat "$TEST_TMP/create.out")" >/dev/null
			B rmi "$IMG" >/dev/null
		else
			grep -q "Unable to find image" "$TEST_TMP/create.out"
			[ -z "$(B ps -aq)" ]
		fi
		[ -z "$(ls "$ROOT/layers")" ]
	done
	assert_clean
}

@test "system df: images, containers (their upper dirs) and volumes, with -v and --format" {
	run B system df --format json
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Images"}' ]
	[ "${lines[1]}" = '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Containers"}' ]
	[ "${lines[2]}" = '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Local Volumes"}' ]
	load_busybox
	load_hello
	name=$(unique_name df)
	c1=$(B create -v "$name-v1:/data" --name "$name-1" "$IMG" sh -c 'head -c 100000 /dev/zero >/big; head -c 5000 /dev/zero >/data/x')
	B start -a "$c1"
	c2=$(B run -d --name "$name-2" "$IMG" sleep 60)
	B volume create "$name-v2" >/dev/null
	run B system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'
	[ "$status" -eq 0 ]
	echo "$output"
	want_images=$(B system df --format json | jq -r 'select(.Type == "Images") | .Size')
	[ "$want_images" = 1.78MB ]
	[ "${lines[0]}" = "Images|2|1|$want_images|15.4kB (0%)" ]
	# hello-world's layer (15.4kB) is the only one no container uses
	# the stopped container wrote 100,000 bytes: reclaimable; the running one none
	[ "${lines[1]}" = "Containers|2|1|100kB|100kB (100%)" ]
	# a volume a container has (even a stopped one) is active
	[ "${lines[2]}" = "Local Volumes|2|1|5kB|0B (0%)" ]
	[ "${lines[3]}" = "Build Cache|0|0|0B|0B" ]
	run B system df -v
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = "Images space usage:" ]
	[[ "$output" == *"busybox "*"1.38.0-musl "*"654fc8fd836e "*" 0B "*" 2"* ]]
	[[ "$output" == *"<none> "*"<none> "*"b23a8f6569ae "*"15.4kB "*"0B "*"15.4kB "*"0"* ]]
	[[ "$output" == *"${c1:0:12} "*"$IMG "*'"sh -c head -c 10000…" '*"1 "*"100kB "*"Exited (0)"*"$name-1"* ]]
	[[ "$output" == *"${c2:0:12} "*"$IMG "*'"sleep 60" '*"0 "*"0B "*"Up "*"$name-2"* ]]
	[[ "$output" == *"$name-v1 "*"1 "*"5kB"* ]]
	[[ "$output" == *"$name-v2 "*"0 "*"0B"* ]]
	[ "${lines[-1]}" = "Build cache usage: 0B" ]
	run B system df -v --format json
	[ "$status" -eq 125 ]
	[[ "$output" == *"--format can't be used with --verbose"* ]]
	run B system df extra
	[ "$status" -ne 0 ]
	B rm -f "$c1" "$c2" >/dev/null
	B volume rm "$name-v1" "$name-v2" >/dev/null
	run B system df --format '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Reclaimable}}'
	[ "${lines[0]}" = "Images|2|0|$want_images (100%)" ]
	[ "${lines[1]}" = "Containers|0|0|0B" ]
	[ "${lines[2]}" = "Local Volumes|0|0|0B" ]
	assert_clean
}

@test "load and rmi racing over a shared layer: the loaded image stays whole" {
	# child: busybox plus one layer, saved, so that loading it finds
	# busybox's layer already there while an rmi of busybox wants to
	# collect that very layer
	load_busybox
	cid=$(B create "$IMG" sh -c 'echo child >/child')
	B start -a "$cid"
	B commit "$cid" berth-test/child:1 >/dev/null
	B rm "$cid" >/dev/null
	B save -o "$TEST_TMP/child.tar" berth-test/child:1
	B rmi berth-test/child:1 >/dev/null
	local i
	for i in 1 2 3 4 5; do
		B load -q -i "$TEST_TMP/child.tar" >/dev/null &
		pid=$!
		B rmi "$IMG" >/dev/null
		wait "$pid"
		# every layer of the child is there and complete: it runs
		for l in "$ROOT"/layers/*/; do [ -f "$l/meta.json" ]; done
		[ "$(ls "$ROOT/layers" | wc -l)" -eq 2 ]
		run B run --rm berth-test/child:1 cat /child
		[ "$status" -eq 0 ]
		[ "$output" = child ]
		B rmi berth-test/child:1 >/dev/null
		[ -z "$(ls "$ROOT/layers")" ]
		load_busybox
	done
	assert_clean
}

@test "a rebuild that adds steps leaves the old image as the new one's parent" {
	load_busybox
	mkdir -p "$TEST_TMP/ctx"
	printf 'FROM %s\nRUN echo a >/a\n' "$IMG" >"$TEST_TMP/ctx/Dockerfile"
	old=$(B build -q -t berth-test/app "$TEST_TMP/ctx")
	printf 'LABEL step=two\nRUN echo b >/b\n' >>"$TEST_TMP/ctx/Dockerfile"
	new=$(B build -q -t berth-test/app "$TEST_TMP/ctx")
	[ "$old" != "$new" ]
	# the old image lost its name to the new one, which is built on it
	run B images -q --no-trunc
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" != *"$old"* ]]
	run B images -a -q --no-trunc
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"$old"* ]]
	run B image inspect -f '{{.Parent}}' berth-test/app
	[ "$output" = "$old" ]
	run B image inspect -f '{{.Parent}}' "$old"
	[ "$output" = "$BB" ]
	# history names each local image at the step that ended it
	run B history -q berth-test/app
	[ "${lines[0]}" = "${new:7:12}" ]
	[ "${lines[1]}" = "<missing>" ]
	[ "${lines[2]}" = "${old:7:12}" ]
	[ "${lines[3]}" = 654fc8fd836e ]
	# system df lists the two named images, not the intermediate one
	run B system df --format '{{.Type}} {{.TotalCount}}'
	[ "${lines[0]}" = "Images 2" ]
	# rmi takes the intermediate parent along, and stops at busybox (named)
	run B rmi berth-test/app
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Untagged: berth-test/app:latest" ]
	[ "${lines[1]}" = "Deleted: $new" ]
	[ "${lines[2]}" = "Deleted: $old" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(B images -a -q --no-trunc)" = "$BB" ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
	assert_clean
}
