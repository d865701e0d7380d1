#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Volumes in containers: copy-up, sharing, surviving rm, anonymous volumes
# gone with rm -v / --rm, bind sources, and symlinked destinations that
# must resolve inside the container.
load helpers

setup() {
	setup_tmp
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	IMG=berth-test/vol:1
	make_image
}

teardown() {
	# Containers first (their monitors, mounts), then the temp dir.
	for id in $("$BERTH" --root "$ROOT" --runroot "$RUNROOT" ps -aq 2>/dev/null); do
		"$BERTH" --root "$ROOT" --runroot "$RUNROOT" rm -f -v "$id" >/dev/null 2>&1
	done
	teardown_tmp
}

# busybox plus /srv/data (owned 1234:5678, modes, a symlink, a hard link)
# declared a VOLUME, and symlinks pointing out of the rootfs.
make_image() {
	local dir=$TEST_TMP/img
	mkdir -p "$dir"
	cp -a "$(busybox_rootfs)/." "$dir/"
	mkdir -p "$dir/srv/data/sub"
	echo hello >"$dir/srv/data/sub/file"
	ln "$dir/srv/data/sub/file" "$dir/srv/data/hard"
	ln -s sub/file "$dir/srv/data/link"
	chown -R 1234:5678 "$dir/srv/data"
	chmod 0750 "$dir/srv/data"
	chmod 0640 "$dir/srv/data/sub/file"
	ln -s / "$dir/escape-abs"
	ln -s ../../../../.. "$dir/escape-rel"
	mkdir -p "$dir/opt/target"
	ln -s /opt/target "$dir/data-link"
	tar -C "$dir" --numeric-owner -cf "$TEST_TMP/img.tar" .
	B import -c 'VOLUME /srv/data' -c 'CMD ["sh"]' "$TEST_TMP/img.tar" "$IMG" >/dev/null
}

@test "a named volume is filled from the image once, with owners and modes" {
	run B run --rm -v named:/srv/data "$IMG" sh -c 'stat -c "%u:%g %a" /srv/data /srv/data/sub/file; cat /srv/data/link; stat -c %h /srv/data/hard'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1234:5678 750" ]
	[ "${lines[1]}" = "1234:5678 640" ]
	[ "${lines[2]}" = hello ]
	[ "${lines[3]}" = 2 ]
	data=$ROOT/volumes/named/_data
	[ "$(stat -c '%u:%g %a' "$data/sub/file")" = "1234:5678 640" ]
	[ "$(readlink "$data/link")" = sub/file ]
	[ "$(stat -c %i "$data/hard")" = "$(stat -c %i "$data/sub/file")" ]
	# not empty any more: no second copy-up over the container's changes
	B run --rm -v named:/srv/data "$IMG" sh -c 'echo changed >/srv/data/sub/file; rm /srv/data/link'
	run B run --rm -v named:/srv/data "$IMG" sh -c 'cat /srv/data/sub/file; ls /srv/data'
	[ "${lines[0]}" = changed ]
	[[ "$output" != *link* ]]
}

@test "nocopy leaves a volume empty" {
	run B run --rm --mount type=volume,source=empty,target=/srv/data,volume-nocopy "$IMG" ls -A /srv/data
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a named volume is shared by two containers and survives rm -v" {
	B run -d --name "$(unique_name a)" -v shared:/shared "$IMG" sh -c 'echo from-a >/shared/f; sleep 100' >/dev/null
	run B run --rm -v shared:/shared "$IMG" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do [ -s /shared/f ] && break; sleep 0.2; done; cat /shared/f'
	[ "$output" = from-a ]
	run B volume rm shared
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: remove shared: volume is in use - ["*"]" ]]
	B rm -f -v "$(B ps -aq | head -1)" >/dev/null
	run B volume ls -q
	[ "$output" = shared ]
	[ "$(cat "$ROOT/volumes/shared/_data/f")" = from-a ]
	run B volume rm shared
	[ "$status" -eq 0 ]
}

@test "anonymous volumes (image VOLUME and -v /path) go with rm -v and --rm" {
	id=$(B create -v /anon "$IMG" true)
	run B volume ls -q
	[ "${#lines[@]}" -eq 2 ] # /anon and the image's /srv/data
	for v in "${lines[@]}"; do
		[[ "$v" =~ ^[0-9a-f]{64}$ ]]
		run jq -r '.Labels["com.docker.volume.anonymous"]' "$ROOT/volumes/$v/meta.json"
		[ "$output" = "" ]
	done
	# the image's content was copied into the image VOLUME's volume
	run B inspect -f '{{json .Mounts}}' "$id"
	B rm -v "$id" >/dev/null
	[ -z "$(B volume ls -q)" ]

	B run --rm -v /anon "$IMG" true
	[ -z "$(B volume ls -q)" ]

	# rm without -v keeps them (dangling), prune takes them
	id=$(B create "$IMG" true)
	B rm "$id" >/dev/null
	[ "$(B volume ls -q --filter dangling=true | wc -l)" -eq 1 ]
	B volume prune -f >/dev/null
	[ -z "$(B volume ls -q)" ]
}

@test "-v creates a missing host directory; --mount type=bind refuses it" {
	run B run --rm -v "$TEST_TMP/made/deep:/x" "$IMG" sh -c 'echo hi >/x/f'
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/made/deep/f")" = hi ]
	[ "$(stat -c %a "$TEST_TMP/made/deep")" = 755 ]
	run B run --rm --mount "type=bind,source=$TEST_TMP/missing,target=/x" "$IMG" true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"invalid mount config for type \"bind\": bind source path does not exist: $TEST_TMP/missing" ]]
	[ ! -e "$TEST_TMP/missing" ]
	[ -z "$(B ps -aq)" ]
}

@test "a relative host path is refused" {
	run B run --rm -v rel/dir:/x "$IMG" true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"includes invalid characters for a local volume name"*"use absolute path"* ]]
	[ -z "$(B ps -aq)" ]
	[ -z "$(B volume ls -q)" ]
}

@test "a destination that is a symlink in the image resolves inside the container" {
	canary=$TEST_TMP/canary
	mkdir -p "$canary"
	# /escape-abs -> / and /escape-rel -> ../../..: the volume lands on the
	# container's /, never the host's; the copy-up copies the rootfs.
	run B run --rm -v "$canary:/data-link" "$IMG" sh -c 'echo in >/opt/target/marker; ls /opt/target'
	[ "$status" -eq 0 ]
	[[ "$output" == *marker* ]]
	[ -f "$canary/marker" ]
	run B run --rm -v "esc:/escape-rel/srv" "$IMG" sh -c 'ls /srv'
	[ "$status" -eq 0 ]
	[[ "$output" == *data* ]] # the image's /srv, copied up
	[ -d "$ROOT/volumes/esc/_data/data" ]
	refute grep -q " /srv " /proc/self/mountinfo
}

@test "volume options: a tmpfs volume is mounted while used, unmounted after" {
	B volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tmpvol >/dev/null
	run B run --rm -v tmpvol:/t "$IMG" sh -c 'grep " /t " /proc/mounts'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *tmpfs* ]]
	[[ "$output" == *size=1024k* ]]
	refute grep -q "$ROOT/volumes/tmpvol/_data" /proc/self/mountinfo
	B volume rm tmpvol >/dev/null
}
