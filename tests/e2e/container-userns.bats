#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# --uidmap/--gidmap/--userns: the container's root is an unprivileged host
# range, and the image's files still look like root's inside, through
# idmapped layers (or a chowned copy where those can't be used).
load helpers

setup() {
	setup_tmp
	# The runtime mounts the rootfs from inside the user namespace: the
	# test's own temp dir must be searchable by the mapped root, as a
	# --root like /var/lib/berth is.
	chmod 711 "$TEST_TMP"
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	IMG=busybox:1.38.0-musl
	B load -i "$FIXTURES/images/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
}

teardown() {
	for id in $("$BERTH" --root "$ROOT" --runroot "$RUNROOT" ps -aq 2>/dev/null); do
		"$BERTH" --root "$ROOT" --runroot "$RUNROOT" rm -f -v "$id" >/dev/null 2>&1
	done
	teardown_tmp
}

@test "--uidmap: the mapping inside, root-owned files inside, shifted ids on the host" {
	id=$(B run -d --uidmap 0:100000:65536 "$IMG" sh -c 'cat /proc/self/uid_map /proc/self/gid_map >/maps; touch /root/made; sleep 100')
	for i in $(seq 50); do B exec "$id" test -e /root/made 2>/dev/null && break; sleep 0.1; done
	run B exec "$id" cat /maps
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
	run B exec "$id" stat -c '%u:%g' /etc/passwd /bin/busybox /root/made /
	[ "${lines[*]}" = "0:0 0:0 0:0 0:0" ]
	run B exec "$id" id -u
	[ "$output" = 0 ]
	dir=$ROOT/containers/$id
	# the host sees the container's root as 100000: its new file, and the
	# image's files through the container's mount...
	[ "$(stat -c %u:%g "$dir/upper/root/made")" = 100000:100000 ]
	[ "$(stat -c %u:%g "$dir/rootfs/etc/passwd")" = 100000:100000 ]
	# ...while the shared layer on disk is untouched
	lower=$(tail -1 "$dir/layers")
	[ "$(stat -c %u:%g "$lower/etc/passwd")" = 0:0 ]
	# and host root's files are nobody's inside
	run B exec "$id" sh -c 'echo x >/proc/sys/kernel/hostname'
	[ "$status" -ne 0 ]
}

@test "--uidmap and --gidmap apart, and a file written as a mapped user" {
	run B run --rm --uidmap 0:200000:2000 --gidmap 0:300000:2000 "$IMG" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /etc/group; su -s /bin/sh nobody -c true 2>/dev/null; echo ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo ${lines[0]})" = "0 200000 2000" ]
	[ "$(echo ${lines[1]})" = "0 300000 2000" ]
	[ "${lines[2]}" = 0:0 ]
}

@test "the chowned-copy fallback gives the same view" {
	id=$(BERTH_STORAGE_DRIVER=copy B run -d --uidmap 0:100000:65536 "$IMG" sleep 100)
	run B exec "$id" stat -c '%u:%g' /etc/passwd /
	[ "${lines[*]}" = "0:0 0:0" ]
	dir=$ROOT/containers/$id
	[ -e "$dir/work/copied" ]
	[ "$(stat -c %u:%g "$dir/upper/etc/passwd")" = 100000:100000 ]
	lower=$(tail -1 "$dir/layers")
	[ "$(stat -c %u:%g "$lower/etc/passwd")" = 0:0 ]
	# and it survives a restart (the copy is made once)
	B stop -t 0 "$id" >/dev/null
	B start "$id" >/dev/null
	run B exec "$id" stat -c '%u:%g' /etc/passwd
	[ "$output" = 0:0 ]
}

@test "--userns=auto without a range for root is a clear error; nothing left" {
	[ ! -s /etc/subuid ] || grep -q '^root:' /etc/subuid || skip "root has a subuid range here"
	if grep -q '^root:' /etc/subuid 2>/dev/null; then
		run B run --rm --userns=auto "$IMG" cat /proc/self/uid_map
		[ "$status" -eq 0 ]
		return
	fi
	run B run --rm --userns=auto "$IMG" true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--userns=auto: no range for root in /etc/subuid"* ]]
	[ -z "$(B ps -aq)" ]
	refute grep -q "$ROOT" /proc/self/mountinfo
}

@test "no mount of the layers is left after rm" {
	id=$(B run -d --uidmap 0:100000:65536 "$IMG" sleep 100)
	B rm -f "$id" >/dev/null
	refute grep -q "$ROOT" /proc/self/mountinfo
}

@test "cp into and commit of a userns container keep the container's own ids" {
	id=$(B run -d --uidmap 0:100000:65536 "$IMG" sh -c 'mkdir /made; echo x >/made/f; sleep 100')
	for i in $(seq 50); do B exec "$id" test -e /made/f 2>/dev/null && break; sleep 0.1; done
	echo hi >"$TEST_TMP/hostfile"
	B cp "$TEST_TMP/hostfile" "$id:/made/"
	run B exec "$id" stat -c %u:%g /made/hostfile
	[ "$output" = 0:0 ]
	[ "$(stat -c %u "$ROOT/containers/$id/upper/made/hostfile")" = 100000 ]
	B commit "$id" berth-test/userns-commit:1 >/dev/null
	# the layer holds the container's ids, not the host's shifted ones
	run B run --rm berth-test/userns-commit:1 stat -c %u:%g /made/f /made/hostfile
	[ "${lines[*]}" = "0:0 0:0" ]
}

@test "volumes of a userns container belong to its root, copy-up included" {
	run B run --rm --uidmap 0:100000:65536 -v uvol:/data -v uetc:/etc "$IMG" sh -c 'touch /data/w && stat -c %u:%g /data /data/w /etc/passwd'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "0:0 0:0 0:0" ]
	[ "$(stat -c %u:%g "$ROOT/volumes/uvol/_data")" = 100000:100000 ]
	[ "$(stat -c %u:%g "$ROOT/volumes/uetc/_data/passwd")" = 100000:100000 ]
}
