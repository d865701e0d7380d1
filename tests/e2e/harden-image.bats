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

@test "harden: an images.json of the wrong shape is an error, and prune deletes nothing" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	cp "$ROOT/images.json" "$TEST_TMP/good.json"
	good_listing=$(cd "$ROOT" && find blobs layers | sort)
	# Valid JSON, wrong shape: before the fix each read as an empty store,
	# and garbage collection then deleted every blob and layer.
	for doc in '[]' '{}' '{"busybox:1.38.0-musl": 5}' \
		'{"version": 2, "images": {}, "tags": {}}' \
		"$(jq -c '.images[] = 5' "$TEST_TMP/good.json")" \
		"$(jq -c 'del(.version)' "$TEST_TMP/good.json")"; do
		printf '%s' "$doc" >"$ROOT/images.json"
		for cmd in "image prune -a -f" "rmi busybox:1.38.0-musl" images; do
			run B $cmd
			echo "$doc / $cmd: status=$status output=$output"
			[ "$status" -ne 0 ]
			[ "${#lines[@]}" -eq 1 ]
			[[ "$output" == "berth: images.json: "* ]]
		done
		[ "$(cd "$ROOT" && find blobs layers | sort)" = "$good_listing" ]
	done
	cp "$TEST_TMP/good.json" "$ROOT/images.json"
	run B images
	[ "$status" -eq 0 ]
	[[ "$output" == *busybox*1.38.0-musl* ]]
}

# A docker-archive of one layer, from a python snippet that fills the tar
# `t` of the layer, with history $2 (JSON) in its config.
make_archive() {
	python3 - "$TEST_TMP/a.tar" "$1" "$2" <<-'PY'
		import hashlib, io, json, sys, tarfile
		out, body, history = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
		bio = io.BytesIO()
		with tarfile.open(fileobj=bio, mode="w") as t:
		    exec(body)
		layer = bio.getvalue()
		cfg = json.dumps({"architecture": "amd64", "os": "linux", "history": history,
		                  "rootfs": {"type": "layers",
		                             "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
		man = json.dumps([{"Config": "c.json", "Layers": ["l/layer.tar"],
		                   "RepoTags": ["esc:latest"]}]).encode()
		with tarfile.open(out, "w") as o:
		    for n, d in (("c.json", cfg), ("manifest.json", man), ("l/layer.tar", layer)):
		        ti = tarfile.TarInfo(n); ti.size = len(d); o.addfile(ti, io.BytesIO(d))
	PY
	echo "$TEST_TMP/a.tar"
}

@test "harden: control characters from an image never reach the terminal" {
	# A member name with a newline and an escape sequence: one line, no ESC.
	a=$(make_archive 'ti = tarfile.TarInfo("../x\n\x1b[31mEVIL"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))' '[]')
	run B load -i "$a"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"leaves the layer root"* ]]
	refute grep -q $'\x1b' <<<"$output"

	# Escape sequences and newlines in history: history and image tree
	# print one line per step, with no ESC.
	a=$(make_archive 'ti = tarfile.TarInfo("f"); ti.size = 1; t.addfile(ti, io.BytesIO(b"x"))' \
		'[{"created_by": "\u001b]0;pwned\u0007\u001b[2J RUN x\nsecond line", "comment": "\u001b[31m"}]')
	B load -i "$a"
	run B history esc:latest
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" == *"RUN x second line"* ]]
	refute grep -q $'\x1b' <<<"$output"
	run B history --no-trunc esc:latest
	[ "${#lines[@]}" -eq 2 ]
	refute grep -q $'\x1b' <<<"$output"
	run B image tree esc:latest
	echo "$output"
	[ "$status" -eq 0 ]
	refute grep -q $'\x1b' <<<"$output"
	refute grep -q $'\x07' <<<"$output"
}

@test "harden: rmi on a full file system reports nothing removed, and removes nothing" {
	mount -t tmpfs -o size=3000k tmpfs "$ROOT"
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	dd if=/dev/zero of="$ROOT/fill" bs=1k 2>/dev/null || true
	before=$(cd "$ROOT" && find . -printf '%p %y %s\n' | sort && cat images.json)
	run B rmi busybox:1.38.0-musl
	echo "status=$status output=$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "berth: writing \`images.json\`: No space left on device" ]
	[ "$(cd "$ROOT" && find . -printf '%p %y %s\n' | sort && cat images.json)" = "$before" ]
	rm "$ROOT/fill"
	run B rmi busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: busybox:1.38.0-musl"* ]]
}

@test "harden: a damaged blob in the store fails its own image only, and never hangs" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	B load -i "$IMAGES/docker-archives/ggcr-whiteout_image.tar" >/dev/null
	cfg=$ROOT/blobs/sha256/654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9
	man=$ROOT/blobs/sha256/a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998

	# A config that no longer matches its digest: the other image is
	# still listed, the damaged one too (with a warning), and rmi works.
	echo '{"rootfs": 5}' >"$cfg"
	run B images
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bazel/pkg/v1/mutate"*"whiteout_image"* ]]
	[[ "$output" == *"busybox"*"1.38.0-musl"*"N/A"* ]]
	[[ "$output" == *"warning"*"is corrupt"* ]]
	run B image inspect busybox:1.38.0-musl
	[ "$status" -ne 0 ]
	[[ "$output" == *"is corrupt"* ]]

	# A FIFO in place of the manifest: one-line errors, not a hang.
	rm "$man"
	mkfifo "$man"
	for cmd in "image inspect busybox:1.38.0-musl" "history busybox:1.38.0-musl" \
		"save -o $TEST_TMP/s.tar busybox:1.38.0-musl"; do
		run timeout 20 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" $cmd
		echo "$cmd: status=$status output=$output"
		[ "$status" -ne 124 ]
		[ "$status" -ne 0 ]
		[[ "$output" == *"is not a regular file"* ]]
	done
	run timeout 20 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" images
	[ "$status" -eq 0 ]
	[[ "$output" == *"whiteout_image"* ]]

	run B rmi busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	run B images
	[ "$status" -eq 0 ]
	[[ "$output" != *busybox* ]]
	[ ! -e "$man" ]
	[ ! -e "$cfg" ]
}

# A docker-archive whose one layer is exactly the bytes in $1 (a file).
archive_with_layer() {
	python3 - "$TEST_TMP/raw.tar" "$1" <<-'PY'
		import hashlib, io, json, sys, tarfile
		out, layer = sys.argv[1], open(sys.argv[2], "rb").read()
		cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
		                  "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
		man = json.dumps([{"Config": "c.json", "Layers": ["l/layer.tar"],
		                   "RepoTags": ["raw:latest"]}]).encode()
		with tarfile.open(out, "w") as o:
		    for n, d in (("c.json", cfg), ("manifest.json", man), ("l/layer.tar", layer)):
		        ti = tarfile.TarInfo(n); ti.size = len(d); o.addfile(ti, io.BytesIO(d))
	PY
	echo "$TEST_TMP/raw.tar"
}

@test "harden: a zero-byte layer is an empty layer; a garbage one fails plainly" {
	: >"$TEST_TMP/zero"
	run B load -i "$(archive_with_layer "$TEST_TMP/zero")"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: raw:latest" ]
	run B history raw:latest
	[ "$status" -eq 0 ]

	head -c 3000 /dev/urandom >"$TEST_TMP/junk"
	B rmi raw:latest >/dev/null
	before=$(store_listing)
	run B load -i "$(archive_with_layer "$TEST_TMP/junk")"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"reading the layer: Unrecognized archive format: Invalid argument" ]]
	[ "$(store_listing)" = "$before" ]
}

@test "harden: an invalid name in RepoTags fails the load, naming it" {
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	before=$(store_listing)
	for tag in "../x:latest" "UPPER:tag" "a:b:c" "" "x@sha256:$(printf '0%.0s' {1..64})"; do
		python3 - "$IMAGES/docker-archives/ggcr-whiteout_image.tar" "$TEST_TMP/t.tar" "$tag" <<-'PY'
			import io, json, sys, tarfile
			src, out, tag = sys.argv[1:]
			with tarfile.open(src) as i, tarfile.open(out, "w") as o:
			    for m in i.getmembers():
			        d = i.extractfile(m).read()
			        if m.name == "manifest.json":
			            man = json.loads(d); man[0]["RepoTags"] = [tag]; d = json.dumps(man).encode()
			        m.size = len(d); o.addfile(m, io.BytesIO(d))
		PY
		run B load -i "$TEST_TMP/t.tar"
		echo "$tag: status=$status output=$output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: "*"manifest.json[0]: RepoTags: "* ]]
		[ "$(store_listing)" = "$before" ]
	done
}
