#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Images move out and back unchanged: save -> load keeps every digest, in
# every format; and with podman both ways (same image IDs).
load helpers

setup() {
	setup_tmp
	IMAGES=$FIXTURES/images
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	B2() { "$BERTH" --root "$TEST_TMP/root2" --runroot "$RUNROOT" "$@"; }
	for i in "$IMAGES"/oci-layouts/busybox-1.38.0-musl-amd64 "$IMAGES"/oci-layouts/busybox-1.38.0-glibc-amd64 \
		"$IMAGES"/oci-layouts/trivy-hello-world-amd64-2020.oci "$IMAGES"/docker-archives/*.tar; do
		B load -q -i "$i" >/dev/null
	done
	ALL=(busybox:1.38.0-musl busybox:1.38.0-glibc b23a8f6569ae dive-test:latest bazel/pkg/v1/mutate:whiteout_image)
}

teardown() {
	teardown_tmp
}

podman_() {
	podman --root "$TEST_TMP/podman" --runroot "$TEST_TMP/podman-run" --storage-driver vfs "$@"
}

@test "save -> load keeps every digest (docker-archive, oci-archive, oci-dir)" {
	want=$(B images --digests --no-trunc)
	for fmt in docker-archive oci-archive oci-dir; do
		rm -rf "$TEST_TMP/root2" "$TEST_TMP/out"
		run B save --format "$fmt" -o "$TEST_TMP/out" "${ALL[@]}"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		run B2 load -i "$TEST_TMP/out"
		[ "$status" -eq 0 ]
		[ "$(B2 images --digests --no-trunc)" = "$want" ]
	done
	# the docker-archive is what `docker save` writes: manifest.json with
	# RepoTags, plus an OCI index
	B save -o "$TEST_TMP/d.tar" dive-test
	tar -xOf "$TEST_TMP/d.tar" manifest.json | jq -e '.[0].RepoTags == ["dive-test:latest"] and (.[0].Layers | length) == 14'
	tar -xOf "$TEST_TMP/d.tar" index.json | jq -e '.manifests[0].annotations["io.containerd.image.name"] == "docker.io/library/dive-test:latest"'
	tar -tf "$TEST_TMP/d.tar" | grep -qx oci-layout
}

@test "save to stdout, and refusals" {
	B save busybox:1.38.0-musl | gzip >"$TEST_TMP/s.tar.gz"
	run B2 load -i "$TEST_TMP/s.tar.gz"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:1.38.0-musl" ]
	run B save -o "$TEST_TMP/x.tar" nothere
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such image: nothere"* ]]
	[ ! -e "$TEST_TMP/x.tar" ]
	run B save --format zip -o "$TEST_TMP/x.tar" busybox:1.38.0-musl
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown format"* ]]
}

@test "podman loads what berth saves, with the same IDs" {
	require_cmd podman
	B save -o "$TEST_TMP/b.tar" busybox:1.38.0-musl dive-test:latest bazel/pkg/v1/mutate:whiteout_image
	run podman_ load -i "$TEST_TMP/b.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	run podman_ images --no-trunc --format '{{.ID}}'
	echo "$output"
	[[ "$output" == *"654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9"* ]]
	[[ "$output" == *"75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a"* ]]
	[[ "$output" == *"decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9"* ]]
	B save --format oci-archive -o "$TEST_TMP/o.tar" busybox:1.38.0-glibc
	run podman_ load -i "$TEST_TMP/o.tar"
	[ "$status" -eq 0 ]
	run podman_ images --no-trunc --format '{{.ID}}'
	[[ "$output" == *"c6348fa86ba0fb2108c9334f5fe913ddc6d853313e655891f133a0127c30099f"* ]]
}

@test "berth loads what podman saves, with the same IDs" {
	require_cmd podman
	podman_ load -i "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar" >/dev/null
	podman_ save -o "$TEST_TMP/p.tar" localhost/dive-test:latest 2>/dev/null ||
		podman_ save -o "$TEST_TMP/p.tar" dive-test:latest
	run B2 load -i "$TEST_TMP/p.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	run B2 images --no-trunc -q
	[ "$output" = sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a ]
	# podman's OCI layout: it rewrites manifest and config as OCI (a new
	# image ID, podman's own), and berth takes the IDs it wrote, with
	# the same layers, file by file
	podman_ save --format oci-dir -o "$TEST_TMP/poci" localhost/dive-test:latest
	man=$(jq -r '.manifests[0].digest' "$TEST_TMP/poci/index.json")
	cfg=$(jq -r '.config.digest' "$TEST_TMP/poci/blobs/sha256/${man#sha256:}")
	B3() { "$BERTH" --root "$TEST_TMP/root3" --runroot "$RUNROOT" "$@"; }
	run B3 load -i "$TEST_TMP/poci"
	[ "$status" -eq 0 ]
	run B3 images --no-trunc -q
	[ "$output" = "$cfg" ]
	run B3 image inspect -f '{{json .RootFS.Layers}}' "$cfg"
	[ "$output" = "$(B2 image inspect -f '{{json .RootFS.Layers}}' 75ae28b8ebf8)" ]
	[ "$(ls "$TEST_TMP/root3/layers" | wc -l)" -eq 14 ]
	for l in "$TEST_TMP"/root3/layers/*/; do
		blob=$(jq -r .blob "$l/meta.json")
		"$TOP/tests/helpers/compare-layer" "$TEST_TMP/root3/blobs/sha256/${blob#sha256:}" "$l/diff"
	done
	rm -rf "$TEST_TMP/podman" "$TEST_TMP/podman-run"
}
