#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bad input: a clear one-line error, a non-zero exit, and a store exactly as
# it was.  And a load killed with SIGKILL leaves no half image behind.
load helpers

setup() {
	setup_tmp
	IMAGES=$FIXTURES/images
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	# a store with something in it, so "unchanged" means something
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	BEFORE=$(store_listing)
}

teardown() {
	teardown_tmp
}

# Every path in the store with its type and size, and images.json.
store_listing() {
	(cd "$ROOT" && find . -printf '%p %y %s\n' | sort && cat images.json)
}

# Run a load that must fail with a one-line error matching $2.
load_fails() {
	run B load -i "$1"
	echo "status=$status output=$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: "*$2* ]]
	[ "$(store_listing)" = "$BEFORE" ]
}

# A copy of the musl layout to break.
layout_copy() {
	cp -r "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" "$TEST_TMP/bad"
	chmod -R u+w "$TEST_TMP/bad"
	echo "$TEST_TMP/bad"
}

@test "bad: a truncated tar" {
	head -c 300000 "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar" >"$TEST_TMP/t.tar"
	load_fails "$TEST_TMP/t.tar" "Truncated tar archive"
}

@test "bad: a blob whose content doesn't match its digest" {
	d=$(layout_copy)
	f=$d/blobs/sha256/5c3b447848a98e48dce106cb3e6acbd4fb6f9b26ee778798137349ce01f4d3c1
	printf 'X' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
	load_fails "$d" "digest mismatch"
}

@test "bad: a blob of the wrong size" {
	d=$(layout_copy)
	echo extra >>"$d/blobs/sha256/5c3b447848a98e48dce106cb3e6acbd4fb6f9b26ee778798137349ce01f4d3c1"
	load_fails "$d" "size mismatch"
}

@test "bad: a manifest naming a missing blob" {
	d=$(layout_copy)
	rm "$d/blobs/sha256/5c3b447848a98e48dce106cb3e6acbd4fb6f9b26ee778798137349ce01f4d3c1"
	load_fails "$d" "names blob sha256:5c3b447848a9*which the archive does not contain"
}

@test "bad: an unknown layer media type" {
	d=$(layout_copy)
	python3 - "$d" <<-'PY'
		import hashlib, json, os, sys
		d = sys.argv[1]
		idx = json.load(open(f"{d}/index.json"))
		old = idx["manifests"][0]["digest"][7:]
		m = json.load(open(f"{d}/blobs/sha256/{old}"))
		m["layers"][0]["mediaType"] = "application/vnd.example.unknown"
		data = json.dumps(m).encode()
		new = hashlib.sha256(data).hexdigest()
		open(f"{d}/blobs/sha256/{new}", "wb").write(data)
		idx["manifests"][0].update(digest="sha256:" + new, size=len(data))
		json.dump(idx, open(f"{d}/index.json", "w"))
	PY
	load_fails "$d" "unsupported media type \`application/vnd.example.unknown\`"
}

@test "bad: an unknown manifest media type in the index" {
	d=$(layout_copy)
	jq '.manifests[0].mediaType = "application/x-nope"' "$d/index.json" >"$d/i" && mv "$d/i" "$d/index.json"
	load_fails "$d" "unsupported media type \`application/x-nope\`"
}

@test "bad: an archive with no manifest" {
	mkdir "$TEST_TMP/x" && echo hi >"$TEST_TMP/x/hello.txt"
	tar -C "$TEST_TMP/x" -cf "$TEST_TMP/x.tar" .
	load_fails "$TEST_TMP/x.tar" "neither manifest.json (docker save) nor index.json"
	load_fails "$TEST_TMP/x" "neither manifest.json"
}

@test "bad: not an archive, and a missing file" {
	echo "hello" >"$TEST_TMP/n.tar"
	load_fails "$TEST_TMP/n.tar" "Unrecognized archive format"
	load_fails "$TEST_TMP/missing.tar" "No such file or directory"
}

@test "bad: the negative OCI layouts in the fixtures" {
	load_fails "$IMAGES/oci-layouts-negative/trivy-test_bad_index_json.oci" "index.json: manifest is not valid JSON"
	load_fails "$IMAGES/oci-layouts-negative/trivy-test_no_valid_manifests.oci" "index.json"
}

@test "bad: a docker-archive layer that isn't what its config says" {
	mkdir "$TEST_TMP/d" && tar -C "$TEST_TMP/d" -xf "$IMAGES/docker-archives/ggcr-whiteout_image.tar"
	# swap two layers: each is a valid tar, but the diff IDs no longer match
	a=9c974b5759fc644ca0e9f30966a6a1007bd4f77388523e2b625a4bc7dfa9281e
	b=b06a6174b68ccb97455ee08975579ac57f8a11420fc3d029a37edcad5ecae418
	jq ".[0].Layers |= map(if . == \"$a/layer.tar\" then \"$b/layer.tar\" elif . == \"$b/layer.tar\" then \"$a/layer.tar\" else . end)" \
		"$TEST_TMP/d/manifest.json" >"$TEST_TMP/m" && mv "$TEST_TMP/m" "$TEST_TMP/d/manifest.json"
	tar -C "$TEST_TMP/d" -cf "$TEST_TMP/d.tar" .
	load_fails "$TEST_TMP/d.tar" "diff ID mismatch"
}

@test "bad: manifest.json that is not JSON, or names a missing layer" {
	mkdir "$TEST_TMP/d" && tar -C "$TEST_TMP/d" -xf "$IMAGES/docker-archives/ggcr-whiteout_image.tar"
	cp -r "$TEST_TMP/d" "$TEST_TMP/e"
	echo '[{"Config":' >"$TEST_TMP/d/manifest.json"
	load_fails "$TEST_TMP/d" "manifest.json"
	rm "$TEST_TMP/e/5f986a6829b24e82d482cf90b5a9bcff697b9aa9d6b57d2d229854f0e32de2b5/layer.tar"
	load_fails "$TEST_TMP/e" "names layer \`5f986a6829b2*which the archive does not contain"
}

@test "bad: hostile layers are refused or contained, and nothing escapes" {
	mkdir -p "$TEST_TMP/outside"
	python3 - "$TEST_TMP" <<-'PY'
		import hashlib, io, json, sys, tarfile
		tmp = sys.argv[1]
		def entry(name, data=None, **kw):
		    ti = tarfile.TarInfo(name)
		    for k, v in kw.items():
		        setattr(ti, k, v)
		    if data is not None:
		        ti.size = len(data)
		    return ti, (io.BytesIO(data) if data is not None else None)
		cases = {
		    "dotdot": [entry("../../../outside/dotdot", b"bad")],
		    "absolute": [entry(tmp + "/outside/absolute", b"bad")],
		    "symlink": [entry("evil", type=tarfile.SYMTYPE, linkname=tmp + "/outside"),
		                entry("evil/through-symlink", b"bad")],
		    "symlink-rel": [entry("evil", type=tarfile.SYMTYPE, linkname="../../../../../../../../" + tmp + "/outside"),
		                    entry("evil/through-relative-symlink", b"bad")],
		    "hardlink": [entry("hl", type=tarfile.LNKTYPE, linkname=tmp + "/outside/target")],
		    "hardlink-dotdot": [entry("hl", type=tarfile.LNKTYPE, linkname="../../../../../../../../" + tmp + "/outside/target")],
		    "whiteout-parent": [entry(".wh.dir", b""), entry("dir/file", b"bad")],
		    "whiteout-as-dir": [entry(".wh.dir", b""), entry(".wh.dir/file", b"bad")],
		    "whiteout-dotdot": [entry("sub", type=tarfile.DIRTYPE), entry("sub/.wh..", b"")],
		    "whiteout-escape": [entry(".wh.../../../outside/target", b"")],
		}
		open(tmp + "/outside/target", "w").write("keep")
		for case, entries in cases.items():
		    lb = io.BytesIO()
		    with tarfile.open(fileobj=lb, mode="w", format=tarfile.GNU_FORMAT) as t:
		        for ti, f in entries:
		            t.addfile(ti, f)
		    layer = lb.getvalue()
		    diff = "sha256:" + hashlib.sha256(layer).hexdigest()
		    cfg = json.dumps({"architecture": "amd64", "os": "linux",
		                      "rootfs": {"type": "layers", "diff_ids": [diff]}}).encode()
		    ch = hashlib.sha256(cfg).hexdigest()
		    man = json.dumps([{"Config": ch + ".json", "RepoTags": ["evil:" + case],
		                       "Layers": [diff[7:] + "/layer.tar"]}]).encode()
		    with tarfile.open(f"{tmp}/{case}.tar", "w") as out:
		        for name, data in ((ch + ".json", cfg), (diff[7:] + "/layer.tar", layer),
		                           ("manifest.json", man)):
		            ti = tarfile.TarInfo(name); ti.size = len(data)
		            out.addfile(ti, io.BytesIO(data))
	PY
	for case in dotdot absolute symlink symlink-rel hardlink hardlink-dotdot whiteout-parent \
		whiteout-as-dir whiteout-dotdot whiteout-escape; do
		run B load -i "$TEST_TMP/$case.tar"
		echo "$case: status=$status $output"
		if [ "$status" -ne 0 ]; then
			[ "${#lines[@]}" -eq 1 ]
			[[ "$output" == "berth: "* ]]
		else
			B rmi "evil:$case" >/dev/null
		fi
		[ "$(store_listing)" = "$BEFORE" ]
		# only the file the test made is outside, untouched
		[ "$(ls "$TEST_TMP/outside")" = target ]
		[ "$(cat "$TEST_TMP/outside/target")" = keep ]
		[ ! -e "$ROOT/../dotdot" ] && [ ! -e "/dotdot" ]
	done
}

@test "kill -9 during a load leaves no half image, and the next command cleans up" {
	"$TOP/tests/helpers/make-image" "$TEST_TMP/big.tar" --mb 24 --small 300 --large 2 --tag berth-test/big:1 >"$TEST_TMP/id"
	# A load stalled mid-archive (its input is a FIFO we hold open):
	# deterministic, and it has already staged data when it dies.
	mkfifo "$TEST_TMP/fifo"
	B load -i "$TEST_TMP/fifo" >/dev/null 2>&1 &
	pid=$!
	exec 7>"$TEST_TMP/fifo"
	head -c 12000000 "$TEST_TMP/big.tar" >&7
	for _ in $(seq 50); do
		[ -n "$(find "$ROOT/staging" -mindepth 2 -type f -size +1M 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -n "$(find "$ROOT/staging" -mindepth 1)" ]
	kill -9 "$pid"
	wait "$pid" || true
	exec 7>&-
	# the next command, even a reader, cleans staging; no image appeared
	run B images -q
	[ "$status" -eq 0 ]
	[ "$output" = b23a8f6569ae ]
	[ -z "$(find "$ROOT/staging" -mindepth 1)" ]
	[ "$(store_listing)" = "$BEFORE" ]

	# Killed at other instants (reading, extracting, publishing): the
	# image is either wholly there or not there at all.
	for delay in 0.05 0.15 0.3 0.5 0.8; do
		B load -q -i "$TEST_TMP/big.tar" >/dev/null 2>&1 &
		pid=$!
		sleep "$delay"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		run B images -q --filter reference=berth-test/big
		[ "$status" -eq 0 ]
		if [ -n "$output" ]; then
			run B image inspect --format '{{.Id}}' berth-test/big:1
			[ "$output" = "$(cat "$TEST_TMP/id")" ]
			for l in "$ROOT"/layers/*/; do [ -f "$l/meta.json" ]; done
			B rmi berth-test/big:1 >/dev/null
		fi
		[ -z "$(find "$ROOT/staging" -mindepth 1)" ]
	done
	run B load -i "$TEST_TMP/big.tar"
	[ "$status" -eq 0 ]
	run B image inspect --format '{{.Id}}' berth-test/big:1
	[ "$output" = "$(cat "$TEST_TMP/id")" ]
	B rmi berth-test/big:1 >/dev/null
	[ "$(store_listing)" = "$BEFORE" ]
}

@test "load and rmi at the same time are safe under the store lock" {
	"$TOP/tests/helpers/make-image" "$TEST_TMP/big.tar" --mb 16 --tag berth-test/big:1 >/dev/null
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	B load -q -i "$TEST_TMP/big.tar" >/dev/null &
	pid=$!
	run B rmi busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	wait "$pid"
	run B images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *"berth-test/big:1"* ]]
	[[ "$output" != *"busybox"* ]]
	for l in "$ROOT"/layers/*/; do [ -f "$l/meta.json" ]; done
}
