#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Every real image in the fixtures loads, lists and inspects with the IDs
# and digests its README gives, and its layers are extracted file by file.
load helpers

setup() {
	setup_tmp
	IMAGES=$FIXTURES/images
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
}

teardown() {
	teardown_tmp
}

# image ref, expected full ID
expect_id() {
	run B image inspect --format '{{.Id}}' "$1"
	[ "$status" -eq 0 ]
	[ "$output" = "$2" ]
}

# Every extracted layer matches its blob, file by file.
check_layers() {
	local l blob n=0
	for l in "$ROOT"/layers/*/; do
		blob=$(jq -r .blob "$l/meta.json")
		run "$TOP/tests/helpers/compare-layer" "$ROOT/blobs/sha256/${blob#sha256:}" "$l/diff"
		echo "$output"
		[ "$status" -eq 0 ]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "load: OCI layout busybox musl keeps manifest and config digests" {
	run B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:1.38.0-musl" ]
	expect_id busybox:1.38.0-musl sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9
	run B image inspect --format '{{json .RepoDigests}}' busybox:1.38.0-musl
	[ "$output" = '["busybox@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998"]' ]
	run B images
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "REPOSITORY   TAG           IMAGE ID       CREATED        SIZE" ]
	[[ "${lines[1]}" == "busybox      1.38.0-musl   654fc8fd836e   "*"1.76MB" ]]
	check_layers
}

@test "load: OCI layout busybox glibc" {
	run B load -i "$IMAGES/oci-layouts/busybox-1.38.0-glibc-amd64/"
	[ "$status" -eq 0 ]
	expect_id busybox:1.38.0-glibc sha256:c6348fa86ba0fb2108c9334f5fe913ddc6d853313e655891f133a0127c30099f
	check_layers
}

@test "load: a multi-platform layout picks linux/amd64, or --platform" {
	run B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-multiarch-ASSEMBLED"
	[ "$status" -eq 0 ]
	expect_id busybox:1.38.0-musl sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9
	run B image inspect --format '{{.Architecture}}' busybox:1.38.0-musl
	[ "$output" = amd64 ]
	# arm64 blobs are there too: the arm64 image loads by request
	run B --root "$TEST_TMP/arm" load --platform linux/arm64 -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-multiarch-ASSEMBLED"
	[ "$status" -eq 0 ]
	run "$BERTH" --root "$TEST_TMP/arm" image inspect --format '{{.Id}} {{.Architecture}}' busybox:1.38.0-musl
	[[ "$output" == "sha256:f6e222a3"*" arm64" ]]
	run "$BERTH" --root "$TEST_TMP/arm2" load --platform linux/s390x -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-multiarch-ASSEMBLED"
	[ "$status" -ne 0 ]
	[[ "$output" == *"has no image for linux/s390x"* ]]
}

@test "load: hello-world layout without mediaType, untagged" {
	run B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image ID: sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604" ]
	expect_id b23a8f6569ae sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604
	run B images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
	[ "$output" = "<none>:<none> b23a8f6569ae" ]
	run B images --format 'table {{.Repository}}\t{{.ID}}'
	[ "${lines[0]}" = "REPOSITORY   IMAGE ID" ]
	[ "${lines[1]}" = "<none>       b23a8f6569ae" ]
	run B images --filter dangling=true -q
	[ "$output" = b23a8f6569ae ]
	check_layers
}

@test "load: docker-archive with 14 layers and whiteouts" {
	run B load -i "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: dive-test:latest" ]
	expect_id dive-test sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a
	run B image inspect --format '{{json .RootFS.Layers}}' dive-test
	[ "$(jq length <<<"$output")" -eq 14 ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 14 ]
	check_layers
	# the whiteouts became overlay whiteouts somewhere in the stack
	[ -n "$(find "$ROOT/layers" -type c)" ]
}

@test "load: ggcr docker-archive with a whiteout" {
	run B load -i "$IMAGES/docker-archives/ggcr-whiteout_image.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: bazel/pkg/v1/mutate:whiteout_image" ]
	expect_id bazel/pkg/v1/mutate:whiteout_image sha256:decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9
	check_layers
	[ -n "$(find "$ROOT/layers" -type c -name foo.txt)" ]
}

@test "load: compressed archives (gzip, zstd) and an OCI layout as a tar" {
	tar -C "$IMAGES/oci-layouts/busybox-1.38.0-glibc-amd64" -cf "$TEST_TMP/oci.tar" .
	zstd -q "$TEST_TMP/oci.tar" -o "$TEST_TMP/oci.tar.zst"
	gzip -c "$IMAGES/docker-archives/ggcr-whiteout_image.tar" >"$TEST_TMP/d.tar.gz"
	run B load -q -i "$TEST_TMP/oci.tar.zst"
	[ "$status" -eq 0 ]
	run B load -i "$TEST_TMP/d.tar.gz"
	[ "$status" -eq 0 ]
	expect_id busybox:1.38.0-glibc sha256:c6348fa86ba0fb2108c9334f5fe913ddc6d853313e655891f133a0127c30099f
	expect_id bazel/pkg/v1/mutate:whiteout_image sha256:decb630649c3e1256345d416b228d6c3ceb387a55120ad44dc3ec992976d28b9
	# nothing extra on stdout when piped: no progress lines
	run B load -i "$TEST_TMP/d.tar.gz"
	[ "$output" = "Loaded image: bazel/pkg/v1/mutate:whiteout_image" ]
}

@test "load: a layer shared by two images is extracted once" {
	run B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64"
	run B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-multiarch-ASSEMBLED"
	[ "$status" -eq 0 ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
	# a load that takes a tag from another image says so, as Docker does
	B tag busybox:1.38.0-musl hw:1
	"$TOP/tests/helpers/make-image" "$TEST_TMP/hw.tar" --mb 1 --small 2 --large 1 --tag hw:1 >/dev/null
	run B load -i "$TEST_TMP/hw.tar"
	[ "${lines[0]}" = "The image hw:1 already exists, renaming the old one with ID sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9 to empty string" ]
	[ "${lines[1]}" = "Loaded image: hw:1" ]
	B rmi hw:1 >/dev/null
	run B tag busybox:1.38.0-musl localhost:5000/mine/bb:v1
	[ "$status" -eq 0 ]
	run B images --format '{{.Repository}}:{{.Tag}}'
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" == *"localhost:5000/mine/bb:v1"* ]]
}

@test "inspect is Docker-shaped" {
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	run B image inspect b23a
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].Config.Cmd[0]' <<<"$output")" = /hello ]
	[ "$(jq -r '.[0].Os + "/" + .[0].Architecture' <<<"$output")" = linux/amd64 ]
	[ "$(jq -r '.[0].RootFS.Type' <<<"$output")" = layers ]
	[ "$(jq -r '.[0].Created' <<<"$output")" = "2020-01-03T01:21:37.263809283Z" ]
	[ "$(jq -r '.[0].Size' <<<"$output")" -gt 0 ]
	# Go template printing, as docker inspect -f
	run B image inspect -f '{{.Config.Cmd}} {{json .Config.Cmd}} {{.Os}}' b23a
	[ "$output" = '[/hello] ["/hello"] linux' ]
	run B image inspect nothere
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nothere"* ]]
}

@test "references: short IDs must be unique, names must be valid" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-glibc-amd64" >/dev/null
	run B image inspect --format '{{.Id}}' 654f
	[ "$output" = sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9 ]
	run B image inspect --format '{{.Id}}' docker.io/library/busybox:1.38.0-glibc
	[ "$output" = sha256:c6348fa86ba0fb2108c9334f5fe913ddc6d853313e655891f133a0127c30099f ]
	run B image inspect --format '{{.Id}}' busybox@sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998
	[ "$output" = sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9 ]
	run B tag busybox:1.38.0-musl Bad/Name
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"invalid reference format"*"must be lowercase"* ]]
	# a 1-character prefix shared by nothing else still resolves
	run B tag c bb:c
	[ "$status" -eq 0 ]
	run B image inspect --format '{{.Id}}' bb:c
	[[ "$output" == sha256:c6348fa* ]]
}

@test "images: filters, --digests, --no-trunc, --format json" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	B load -i "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar" >/dev/null
	run B images --filter reference=busybox -q
	[ "$output" = 654fc8fd836e ]
	run B images --filter 'reference=dive*' --no-trunc -q
	[ "$output" = sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a ]
	run B images --filter dangling=true -q
	[ -z "$output" ]
	run B images --digests
	[[ "${lines[0]}" == "REPOSITORY"*"TAG"*"DIGEST"*"IMAGE ID"*"CREATED"*"SIZE" ]]
	[[ "$output" == *"sha256:a34ce92094b7b100a98fbd21411a92825f6827b1bc5f6918c253516c90556998"* ]]
	run B images --format json
	[ "${#lines[@]}" -eq 2 ]
	for l in "${lines[@]}"; do jq -e '.ID and .Repository and .Tag and .Size and .CreatedSince' <<<"$l" >/dev/null; done
	run B images --filter label=nope=1 -q
	[ -z "$output" ]
	run B images --filter bogus=1
	[ "$status" -ne 0 ]
}

@test "history and image tree" {
	B load -i "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar" >/dev/null
	run B history dive-test
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "IMAGE"*"CREATED"*"CREATED BY"*"SIZE"*"COMMENT" ]]
	[[ "${lines[1]}" == "75ae28b8ebf8 "* ]]
	[[ "${lines[2]}" == "<missing> "* ]]
	[ "${#lines[@]}" -eq 16 ]
	run B history --no-trunc dive-test
	[[ "$output" == *"sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a"* ]]
	run B image tree dive-test
	[ "$status" -eq 0 ]
	# piped: ASCII only, base first, one line per layer, the CMD between
	[[ "${lines[0]}" == "dive-test:latest  sha256:75ae28b8ebf8  linux/amd64" ]]
	[[ "${lines[1]}" == "+- base" ]]
	[[ "${lines[2]}" == "+-#  1 23bc2b70b201 1.37MB  ADD file:"* ]]
	[[ "${lines[3]}" == "|"*"- CMD [\"sh\"]" ]]
	[[ "${lines[16]}" == "+-# 14 "*"RUN chmod +x /root/saved.txt" ]]
	[[ "${lines[17]}" == "\`- top - 14 layers - 1.47MB - 1 metadata-only step" ]]
	refute env LC_ALL=C grep -q -P '[^\x00-\x7f]' <<<"$output"
}

@test "image tree draws with box-drawing characters on a terminal" {
	require_cmd script
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	run script -qec "$BERTH --root $ROOT image tree b23a8f6569ae" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"├─■ 1 9c27e219663c"*"COPY file:7bf12aab75c3"* ]]
	[[ "$output" == *"│ "*"· CMD [\"/hello\"]"* ]]
	[[ "$output" == *"└─ "*"top · 1 layer · "*"1 metadata-only step"* ]]
	run script -qec "$BERTH --root $ROOT image tree --ascii b23a8f6569ae" /dev/null
	[[ "$output" == *"+-# 1 9c27e219663c"* ]]
}

@test "tag, rmi, prune and garbage collection" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	B load -i "$IMAGES/oci-layouts/trivy-hello-world-amd64-2020.oci" >/dev/null
	B tag busybox:1.38.0-musl bb:one
	# by name with another name left: only the tag goes
	run B rmi bb:one
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: bb:one" ]
	B tag busybox:1.38.0-musl bb:two
	# by ID with two names: refused without -f
	run B rmi 654fc8fd836e
	[ "$status" -ne 0 ]
	[[ "$output" == *"must be forced"*"referenced in multiple repositories"* ]]
	run B rmi -f 654fc8fd836e
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: bb:two"* ]]
	[[ "$output" == *"Untagged: busybox:1.38.0-musl"* ]]
	[[ "$output" == *"Deleted: sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9"* ]]
	# its blobs and layer are gone, the other image's remain
	[ ! -e "$ROOT/blobs/sha256/5c3b447848a98e48dce106cb3e6acbd4fb6f9b26ee778798137349ce01f4d3c1" ]
	[ "$(ls "$ROOT/blobs/sha256" | wc -l)" -eq 3 ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
	run B rmi nothere
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such image: nothere"* ]]
	# prune: the dangling hello-world goes, then the store is empty
	run B image prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"deleted: sha256:b23a8f6569ae"* ]]
	[[ "$output" == *"Total reclaimed space: "* ]]
	[ -z "$(ls "$ROOT/blobs/sha256")" ]
	[ -z "$(ls "$ROOT/layers")" ]
}

@test "rmi refuses an image a container uses (containers/<id>/container.json)" {
	B load -i "$IMAGES/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	mkdir -p "$ROOT/containers/c0ffee0000"
	echo '{"Image":"sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9"}' >"$ROOT/containers/c0ffee0000/container.json"
	run B rmi busybox:1.38.0-musl
	[ "$status" -ne 0 ]
	[[ "$output" == *"container c0ffee000"*"is using it"* ]]
	run B image prune -a
	[ "$status" -eq 0 ]
	run B images -q
	[ "$output" = 654fc8fd836e ]
	# forced: it only loses its name; its layers stay for the container
	run B rmi -f busybox:1.38.0-musl
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: busybox:1.38.0-musl" ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 1 ]
	run B system df
	[[ "${lines[1]}" == "Images "*"1 "*"1 "* ]]
}

@test "import: a rootfs tarball with --change and --message" {
	run B import --change 'CMD ["/bin/sh"]' --change 'ENV A=1 B=2' --change 'EXPOSE 80' \
		--change 'WORKDIR /srv' -m "from alpine" "$IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz" alpine:imported
	[ "$status" -eq 0 ]
	[[ "$output" == sha256:* ]]
	id=$output
	run B image inspect alpine:imported
	[ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
	[ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh"]' ]
	[ "$(jq -c '.[0].Config.Env' <<<"$output")" = '["A=1","B=2"]' ]
	[ "$(jq -c '.[0].Config.ExposedPorts' <<<"$output")" = '{"80/tcp":{}}' ]
	[ "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" = /srv ]
	[ "$(jq -r '.[0].Comment' <<<"$output")" = "from alpine" ]
	[ "$(jq -r '.history[0] | (.created_by // "") + "|" + .comment' "$ROOT/blobs/sha256/${id#sha256:}")" = "|from alpine" ]
	# the diff ID is the uncompressed tarball's digest
	want=sha256:$(gzip -dc "$IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz" | sha256sum | cut -d' ' -f1)
	[ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" = "$want" ]
	check_layers
	# from stdin, untagged; the tree names where the layer came from
	run B import - <"$IMAGES/layers/regclient-layer.tar"
	[ "$status" -eq 0 ]
	run B image tree "$output"
	[[ "$output" == *"Imported from -"* ]]
	run B import --change 'FROBNICATE x' "$IMAGES/layers/regclient-layer.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"FROBNICATE"* ]]
}

@test "import: --platform is what the config says; a bad one changes nothing" {
	run B import --platform linux/arm64/v8 "$IMAGES/layers/regclient-layer.tar" rc:arm
	[ "$status" -eq 0 ]
	run B image inspect rc:arm
	[ "$(jq -c '.[0] | [.Os, .Architecture, .Variant]' <<<"$output")" = '["linux","arm64","v8"]' ]
	# aliases normalized as for load; no variant unless given
	B import --platform linux/x86_64 "$IMAGES/layers/regclient-layer.tar" rc:amd >/dev/null
	run B image inspect rc:amd
	[ "$(jq -c '.[0] | [.Os, .Architecture, .Variant]' <<<"$output")" = '["linux","amd64",null]' ]
	before=$(cd "$ROOT" && find . -printf '%p %s\n' | sort && cat images.json)
	for p in windows/amd64 linux nope/ linux/arm/v7/x; do
		run B import --platform "$p" "$IMAGES/layers/regclient-layer.tar" rc:bad
		echo "$p: $status $output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: "*"$p"* || "$output" == "berth: --platform windows: operating system is not supported"* ]]
	done
	[ "$(cd "$ROOT" && find . -printf '%p %s\n' | sort && cat images.json)" = "$before" ]
}

@test "the container engine's view: config and lower dirs, top first" {
	B load -i "$IMAGES/docker-archives/dive-test-busybox-amd64-whiteouts.docker-save.tar" >/dev/null
	run "$BUILD/tests/helpers/image-rootfs" "$ROOT" dive-test
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "id sha256:75ae28b8ebf89b203319069ddcbecdf5c3838503bbebc0d0d85e4b8589c5de3a" ]
	[ "${lines[1]}" = "cmd sh" ]
	[ "$(grep -c '^lower ' <<<"$output")" -eq 14 ]
	# the top layer first: its diff has /root/saved.txt made executable
	top=$(grep -m1 '^lower ' <<<"$output" | cut -d' ' -f2)
	[ -x "$top/root/saved.txt" ]
	# the base last: busybox itself
	base=$(grep '^lower ' <<<"$output" | tail -1 | cut -d' ' -f2)
	[ -e "$base/bin/busybox" ]
	run "$BUILD/tests/helpers/image-rootfs" "$ROOT" nothere
	[ "$status" -ne 0 ]
}

@test "progress: a line per layer on a terminal, none when piped" {
	require_cmd script
	run script -qec "$BERTH --root $ROOT load -i $IMAGES/docker-archives/ggcr-whiteout_image.tar" /dev/null
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Loading layer  sha256:' <<<"$output")" -eq 3 ]
	[ "$(grep -c '^Extracting     sha256:' <<<"$output")" -eq 3 ]
	run script -qec "$BERTH --root $ROOT load -q -i $IMAGES/docker-archives/ggcr-whiteout_image.tar" /dev/null
	[ "$(grep -c 'sha256:' <<<"$output")" -eq 0 ]
	run script -qec "$BERTH --root $ROOT save -o $TEST_TMP/s.tar bazel/pkg/v1/mutate:whiteout_image" /dev/null
	[ "$(grep -c '^Saving layer   sha256:' <<<"$output")" -eq 3 ]
	run B save -o "$TEST_TMP/s2.tar" bazel/pkg/v1/mutate:whiteout_image
	[ -z "$output" ]
	# piped: load prints its result only; import its ID only
	run B load -i "$IMAGES/docker-archives/ggcr-whiteout_image.tar"
	[ "$output" = "Loaded image: bazel/pkg/v1/mutate:whiteout_image" ]
	run script -qec "$BERTH --root $ROOT import $IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz al:tty" /dev/null
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Importing      sha256:' <<<"$output")" -eq 1 ]
	[[ "${lines[-1]}" == sha256:* ]]
	run B import "$IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz" al:pipe
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == sha256:* ]]
}

@test "import: the regclient layers, whiteout and opaque dir converted for overlay" {
	run B import "$IMAGES/layers/regclient-layer.tar" rc:base
	[ "$status" -eq 0 ]
	run B import "$IMAGES/layers/regclient-layer-wh.tar" rc:wh
	[ "$status" -eq 0 ]
	[ "$(ls "$ROOT/layers" | wc -l)" -eq 2 ]
	check_layers
	# the opaque marker became the overlay xattr, the whiteout a 0:0 device
	tar -tf "$IMAGES/layers/regclient-layer-wh.tar" | grep -q '\.wh\.\.wh\.\.opq'
	[ -n "$(find "$ROOT/layers" -type c)" ]
	run python3 -c '
import os, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for n in dirs:
        p = os.path.join(d, n)
        try:
            if os.getxattr(p, "trusted.overlay.opaque", follow_symlinks=False) == b"y":
                print("opaque", os.path.relpath(p, sys.argv[1]).split("/", 2)[-1])
        except OSError:
            pass
' "$ROOT/layers"
	[[ "$output" == "opaque "* ]]
}
