#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# A container's filesystem from outside: cp (both ways, hostile symlinks),
# export, diff, commit; on running and stopped containers.
load helpers

setup() {
	setup_tmp
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
	IMG=berth-test/fs:1
	CANARY=$TEST_TMP/canary
	mkdir -p "$CANARY"
	echo host-secret >"$CANARY/secret"
	make_image
}

teardown() {
	for id in $("$BERTH" --root "$ROOT" --runroot "$RUNROOT" ps -aq 2>/dev/null); do
		"$BERTH" --root "$ROOT" --runroot "$RUNROOT" rm -f -v "$id" >/dev/null 2>&1
	done
	teardown_tmp
}

# busybox with files to copy and symlinks that try to leave the rootfs:
# to /, up with ../, and to the host's canary directory by absolute path.
make_image() {
	local dir=$TEST_TMP/img
	mkdir -p "$dir"
	cp -a "$(busybox_rootfs)/." "$dir/"
	mkdir -p "$dir/srv/tree/sub"
	echo one >"$dir/srv/tree/a"
	echo two >"$dir/srv/tree/sub/b"
	ln -s a "$dir/srv/tree/link"
	chown -R 1234:5678 "$dir/srv/tree"
	echo container-secret >"$dir/secret"
	ln -s / "$dir/evil-abs"
	ln -s ../../../../../.. "$dir/evil-rel"
	ln -s "$CANARY" "$dir/evil-host"
	ln -s "$CANARY/secret" "$dir/victim"
	ln -s /secret "$dir/abs-link"
	tar -C "$dir" --numeric-owner -cf "$TEST_TMP/img.tar" .
	B import -c 'CMD ["sh"]' "$TEST_TMP/img.tar" "$IMG" >/dev/null
}

canary_intact() {
	[ "$(ls -A "$CANARY")" = secret ]
	[ "$(cat "$CANARY/secret")" = host-secret ]
}

@test "cp out of a running container: file, dir, dir/., into an existing dir, -a" {
	id=$(B run -d "$IMG" sleep 100)
	out=$TEST_TMP/out
	mkdir -p "$out"
	B cp "$id:/srv/tree/a" "$out/a-copy"
	[ "$(cat "$out/a-copy")" = one ]
	[ "$(stat -c %u "$out/a-copy")" = 0 ] # the destination's user without -a
	B cp "$id:/srv/tree/a" "$out/"
	[ "$(cat "$out/a")" = one ]
	B cp "$id:/srv/tree" "$out/new"
	[ "$(cat "$out/new/sub/b")" = two ]
	[ "$(readlink "$out/new/link")" = a ]
	B cp "$id:/srv/tree" "$out/new" # existing dir: copied into it
	[ "$(cat "$out/new/tree/sub/b")" = two ]
	mkdir "$out/contents"
	B cp "$id:/srv/tree/." "$out/contents"
	[ "$(cat "$out/contents/a")" = one ]
	[ ! -e "$out/contents/tree" ]
	B cp -a "$id:/srv/tree" "$out/archived"
	[ "$(stat -c %u:%g "$out/archived/sub/b")" = 1234:5678 ]
}

@test "cp into a container: file, into dir, dir, dir/., and the rules' errors" {
	id=$(B run -d "$IMG" sleep 100)
	src=$TEST_TMP/src
	mkdir -p "$src/d/e"
	echo f >"$src/f"
	echo g >"$src/d/e/g"
	B cp "$src/f" "$id:/tmp/f1"
	B cp "$src/f" "$id:/tmp/"
	B cp "$src/d" "$id:/tmp/dnew"
	B cp "$src/d/." "$id:/srv/tree"
	run B exec "$id" sh -c 'cat /tmp/f1 /tmp/f /tmp/dnew/e/g /srv/tree/e/g; stat -c %u /tmp/f1'
	[ "${lines[*]}" = "f f g g 0" ]
	run B cp "$src/f" "$id:/nonexistent/"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	run B cp "$src/d" "$id:/tmp/f1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot copy a directory to a file"* ]]
	run B cp "$src/f/" "$id:/tmp/x"
	[ "$status" -eq 125 ]
	run B cp "$src/missing" "$id:/tmp/"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "cp with tar streams in both directions" {
	id=$(B run -d "$IMG" sleep 100)
	run bash -c "'$BERTH' --root '$ROOT' --runroot '$RUNROOT' cp $id:/srv/tree - | tar t | sort"
	[ "${lines[*]}" = "tree/ tree/a tree/link tree/sub/ tree/sub/b" ]
	mkdir -p "$TEST_TMP/t/in"
	echo streamed >"$TEST_TMP/t/in/s"
	tar -C "$TEST_TMP/t" -cf - in | B cp - "$id:/tmp"
	run B exec "$id" cat /tmp/in/s
	[ "$output" = streamed ]
	run bash -c "tar -C '$TEST_TMP/t' -cf - in | '$BERTH' --root '$ROOT' --runroot '$RUNROOT' cp - $id:/tmp/in/s"
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be a directory"* ]]
}

@test "cp never follows a container's symlinks to the host" {
	id=$(B run -d "$IMG" sleep 100)
	# reading: / and ../ are the container's, a host path does not exist
	B cp "$id:/evil-abs/secret" "$TEST_TMP/r1"
	[ "$(cat "$TEST_TMP/r1")" = container-secret ]
	B cp "$id:/evil-rel/secret" "$TEST_TMP/r2"
	[ "$(cat "$TEST_TMP/r2")" = container-secret ]
	run B cp "$id:/evil-host/secret" "$TEST_TMP/r3"
	[ "$status" -eq 125 ]
	[ ! -e "$TEST_TMP/r3" ]
	# a symlink source is copied as a link, never its host target's content
	B cp "$id:/victim" "$TEST_TMP/r4"
	[ -L "$TEST_TMP/r4" ]
	# -L follows links inside the container only
	B cp -L "$id:/abs-link" "$TEST_TMP/r5"
	[ "$(cat "$TEST_TMP/r5")" = container-secret ]
	B cp -L "$id:/srv/tree/link" "$TEST_TMP/r6"
	[ "$(cat "$TEST_TMP/r6")" = one ]
	run B cp -L "$id:/victim" "$TEST_TMP/r7"
	[ "$status" -eq 125 ]
	[ ! -e "$TEST_TMP/r7" ]
	# writing: through the links lands inside the container
	echo pwned >"$TEST_TMP/p"
	B cp "$TEST_TMP/p" "$id:/evil-abs/tmp/p1"
	B cp "$TEST_TMP/p" "$id:/evil-rel/tmp/p2"
	run B cp "$TEST_TMP/p" "$id:/evil-host/"
	[ "$status" -eq 125 ]
	B cp "$TEST_TMP/p" "$id:/victim" # replaces the link, not its target
	run B exec "$id" sh -c 'cat /tmp/p1 /tmp/p2 /victim'
	[ "${lines[*]}" = "pwned pwned pwned" ]
	# a tar with .. and absolute entries stays inside too
	python3 - "$TEST_TMP/evil.tar" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    for name in ("../../../../escape-up", "/escape-abs"):
		        ti = tarfile.TarInfo(name); data = b"x"; ti.size = 1
		        t.addfile(ti, io.BytesIO(data))
	EOF
	B cp - "$id:/evil-host" <"$TEST_TMP/evil.tar" 2>/dev/null || true
	B cp - "$id:/tmp" <"$TEST_TMP/evil.tar" 2>/dev/null || true
	[ ! -e "$TEST_TMP/escape-up" ] && [ ! -e /escape-abs ] && [ ! -e /escape-up ]
	canary_intact
}

@test "cp, diff and export work on created and exited containers" {
	id=$(B create "$IMG" sh -c 'cat /tmp/injected; echo more >/tmp/later')
	echo injected >"$TEST_TMP/inj"
	B cp "$TEST_TMP/inj" "$id:/tmp/injected"
	run B diff "$id"
	[ "$output" = $'C /tmp\nA /tmp/injected' ]
	run B start -a "$id"
	[ "$output" = injected ]
	B cp "$id:/tmp/later" "$TEST_TMP/later"
	[ "$(cat "$TEST_TMP/later")" = more ]
	B export -o "$TEST_TMP/exp.tar" "$id"
	tar tf "$TEST_TMP/exp.tar" | grep -qx tmp/later
	# no mount of ours is left behind
	refute grep -q "$ROOT" /proc/self/mountinfo
}

@test "diff lists A, C and D as Docker does" {
	id=$(B run -d "$IMG" sh -c 'echo new >/newfile; rm /srv/tree/a; echo c >>/srv/tree/sub/b; mkdir -p /made/deep; sleep 100')
	for i in $(seq 50); do B diff "$id" | grep -q deep && break; sleep 0.1; done
	run B diff "$id"
	echo "$output"
	[ "$output" = $'A /made\nA /made/deep\nA /newfile\nC /srv\nC /srv/tree\nD /srv/tree/a\nC /srv/tree/sub\nC /srv/tree/sub/b' ]
}

@test "export writes the merged filesystem" {
	id=$(B run -d "$IMG" sh -c 'echo new >/newfile; rm /secret; sleep 100')
	for i in $(seq 50); do B diff "$id" | grep -q newfile && break; sleep 0.1; done
	B export "$id" >"$TEST_TMP/e.tar"
	run tar tf "$TEST_TMP/e.tar"
	[[ "$output" == *$'\nnewfile\n'* ]]
	[[ "$output" == *"bin/busybox"* ]]
	[[ "$output" != *$'\nsecret\n'* ]]
	[ "$(tar xOf "$TEST_TMP/e.tar" newfile)" = new ]
	[ "$(tar tvf "$TEST_TMP/e.tar" srv/tree/a | awk '{print $2}')" = 1234/5678 ]
	run B export nosuch
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "commit makes an image of the changes; it runs" {
	id=$(B run -d -e FROM_RUN=yes "$IMG" sh -c 'echo committed >/newfile; rm /secret; sleep 100')
	for i in $(seq 50); do B diff "$id" | grep -q newfile && break; sleep 0.1; done
	run B commit -a "Ada <ada@example.com>" -m "a message" -c 'CMD ["cat", "/newfile"]' -c 'ENV COMMITTED=1' "$id" berth-test/committed:v1
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run B run --rm berth-test/committed:v1
	[ "$output" = committed ]
	run B run --rm berth-test/committed:v1 sh -c 'echo $FROM_RUN $COMMITTED; ls /secret'
	[ "${lines[0]}" = "yes 1" ]
	[ "$status" -ne 0 ] # the deletion is in the layer as a whiteout
	run bash -c "'$BERTH' --root '$ROOT' image inspect berth-test/committed:v1 | jq -r '.[0] | [.Author, .Comment, (.RootFS.Layers|length)] | join(\"|\")'"
	[ "$output" = "Ada <ada@example.com>|a message|2" ]
	run B history berth-test/committed:v1
	[[ "$output" == *"a message"* ]]
	# the container was paused for the commit only
	run B inspect -f '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run B commit --pause=false "$id"
	[ "$status" -eq 0 ]
}

@test "bad cp/diff/export/commit input: one line, exit 125, nothing made" {
	id=$(B create "$IMG" true)
	before=$(B images -q | sort)
	for args in "cp a:/x b:/y" "cp /x /y" "cp nosuch:/x $TEST_TMP/y" "cp $id:/nothere $TEST_TMP/y" \
		"diff nosuch" "export" "commit nosuch" "commit -c FROB $id" "commit $id BAD::REF"; do
		run B $args
		echo "$args: $status $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: "* ]]
	done
	[ "$(B images -q | sort)" = "$before" ]
	[ ! -e "$TEST_TMP/y" ]
	refute grep -q "$ROOT" /proc/self/mountinfo
}
