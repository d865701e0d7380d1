#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Layer apply and diff on real layers (fixtures) and hostile ones, through
# tests/helpers/layer-tool; tests/helpers/tarlist.py models what a tar
# should produce and compares it with the tree, entry by entry.

load helpers

LAYER_TOOL="$BUILD/tests/helpers/layer-tool"
TARLIST="$TOP/tests/helpers/tarlist.py"

setup() {
	setup_tmp
	[ -x "$LAYER_TOOL" ] || skip "layer-tool is not built"
	[ -n "$FIXTURES" ] || skip "no fixtures"
	IMAGES=$FIXTURES/images
	# A canary next to the destination: nothing may appear in or vanish
	# from it.
	CANARY=$TEST_TMP/canary
	mkdir -p "$CANARY"
	echo safe >"$CANARY/victim"
}

teardown() {
	teardown_tmp
}

canary_intact() {
	[ "$(ls -A "$CANARY")" = victim ]
	[ "$(cat "$CANARY/victim")" = safe ]
}

# apply_and_compare MODE DIR TAR...: apply each tar into DIR, checking its
# diff_id when given as TAR=DIFFID, then compare DIR with the model.
apply_and_compare() {
	local mode=$1 dir=$2 arg tar want got
	shift 2
	local tars=()
	for arg in "$@"; do
		tar=${arg%%=*}
		want=${arg#*=}
		got=$("$LAYER_TOOL" apply "$mode" "$tar" "$dir")
		if [ "$arg" != "$tar" ] && [ "$got" != "$want" ]; then
			echo "diff_id of $tar: got $got, want $want"
			return 1
		fi
		tars+=("$tar")
	done
	"$TARLIST" compare "$mode" "$dir" "${tars[@]}"
}

@test "layers: the regclient layers, overlay and flat" {
	local l1=$IMAGES/layers/regclient-layer.tar l2=$IMAGES/layers/regclient-layer-wh.tar
	run apply_and_compare --overlay "$TEST_TMP/l1" "$l1=sha256:$(sha256sum <"$l1" | cut -d' ' -f1)"
	echo "$output"
	[ "$status" -eq 0 ]
	run apply_and_compare --overlay "$TEST_TMP/l2" "$l2"
	echo "$output"
	[ "$status" -eq 0 ]
	# the whiteout is a 0:0 device, the opaque dir carries the xattr
	[ "$(stat -c '%F %t:%T' "$TEST_TMP/l2/layer2.txt")" = "character special file 0:0" ]
	[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$TEST_TMP/l2/exdir")" = y ]
	run apply_and_compare --flat "$TEST_TMP/flat" "$l1" "$l2"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$TEST_TMP/flat/layer2.txt" ]
	[ -f "$TEST_TMP/flat/layer1.txt" ]
}

@test "layers: OCI layout layers match their configs' diff_ids" {
	local image line n=0
	for image in "$IMAGES"/oci-layouts/*/; do
		while read -r line; do
			n=$((n + 1))
			# shellcheck disable=SC2086
			run apply_and_compare --overlay "$TEST_TMP/oci$n" $line
			echo "$image: $output"
			[ "$status" -eq 0 ]
			rm -rf "$TEST_TMP/oci$n"
		done < <("$TARLIST" layers "$image" "$TEST_TMP/work")
	done
	[ "$n" -ge 4 ]
}

@test "layers: docker-save layers, one by one and stacked flat" {
	local archive line n=0 l
	for archive in "$IMAGES"/docker-archives/*.tar; do
		n=$((n + 1))
		line=$("$TARLIST" layers "$archive" "$TEST_TMP/work$n")
		for l in $line; do
			run apply_and_compare --overlay "$TEST_TMP/one" "$l"
			echo "$archive: $output"
			[ "$status" -eq 0 ]
			rm -rf "$TEST_TMP/one"
		done
		# shellcheck disable=SC2086
		run apply_and_compare --flat "$TEST_TMP/stack$n" $line
		echo "$archive: $output"
		[ "$status" -eq 0 ]
	done
	[ "$n" -eq 2 ]
	# ggcr's last layer deletes foo.txt
	[ ! -e "$TEST_TMP/stack2/foo.txt" ]
}

@test "layers: alpine minirootfs (gzip), its diff_id, and a diff round trip" {
	local gz=$IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz
	local want
	want=sha256:$(gzip -dc "$gz" | sha256sum | cut -d' ' -f1)
	run apply_and_compare --overlay "$TEST_TMP/alpine" "$gz=$want"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -L "$TEST_TMP/alpine/bin/sh" ]
	# diff prints the sha256 of the tar it wrote
	run "$LAYER_TOOL" diff "$TEST_TMP/alpine" "$TEST_TMP/alpine.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "sha256:$(sha256sum <"$TEST_TMP/alpine.tar" | cut -d' ' -f1)" ]
	# ... and that tar applies to the same tree
	run apply_and_compare --overlay "$TEST_TMP/again" "$TEST_TMP/alpine.tar=$output"
	echo "$output"
	[ "$status" -eq 0 ]
	diff <("$TARLIST" list "$TEST_TMP/alpine") <("$TARLIST" list "$TEST_TMP/again")
	# zstd gives the same diff_id
	zstd -q -c "$TEST_TMP/alpine.tar" >"$TEST_TMP/alpine.tar.zst"
	run "$LAYER_TOOL" apply "$TEST_TMP/alpine.tar.zst" "$TEST_TMP/zst"
	[ "$status" -eq 0 ]
	[ "$output" = "sha256:$(sha256sum <"$TEST_TMP/alpine.tar" | cut -d' ' -f1)" ]
}

@test "layers: full fidelity as root (owners, modes, devices, xattrs, sparse, long names)" {
	local src=$TEST_TMP/src long
	long=$(printf 'd%.0s' {1..120})
	mkdir -p "$src/dir/$long"
	echo data >"$src/owned"
	chown 1234:5678 "$src/owned"
	echo x >"$src/setuid" && chmod 4755 "$src/setuid"
	echo x >"$src/setgid" && chown 0:50 "$src/setgid" && chmod 2711 "$src/setgid"
	mkdir "$src/sticky" && chmod 1777 "$src/sticky"
	mknod "$src/null" c 1 3 && chmod 666 "$src/null"
	mknod "$src/loop9" b 7 9 && chown 0:6 "$src/loop9" && chmod 660 "$src/loop9"
	mkfifo "$src/fifo" && chmod 600 "$src/fifo"
	ln -s "dir/$long/$long" "$src/longlink"
	echo long >"$src/dir/$long/$long"
	ln "$src/owned" "$src/owned-link"
	echo cap >"$src/ping"
	python3 - "$src" <<-'EOF'
		import os, sys
		src = sys.argv[1]
		# cap_net_raw+ep, version 2
		os.setxattr(src + "/ping", "security.capability",
		            bytes.fromhex("0000000200200000000000000000000000000000"))
		os.setxattr(src + "/owned", "user.note", b"hello")
		os.setxattr(src + "/dir", "trusted.test", b"t")
		os.utime(src + "/owned", ns=(1600000000123456789, 1600000000123456789))
	EOF
	truncate -s 64M "$src/sparse" && echo end >>"$src/sparse" && printf 'start' | dd of="$src/sparse" conv=notrunc status=none
	# GNU format (long names via ././@LongLink, old sparse) and PAX
	# (long names, xattrs, sparse 1.0, nanosecond mtimes).
	tar --format=gnu --sparse --xattrs --xattrs-include='*' -C "$src" -cf "$TEST_TMP/gnu.tar" .
	tar --format=pax --sparse --xattrs --xattrs-include='*' -C "$src" -cf "$TEST_TMP/pax.tar" .
	local fmt
	for fmt in gnu pax; do
		run apply_and_compare --overlay "$TEST_TMP/$fmt" "$TEST_TMP/$fmt.tar"
		echo "$fmt: $output"
		[ "$status" -eq 0 ]
		[ "$(stat -c '%u:%g %a' "$TEST_TMP/$fmt/owned")" = "1234:5678 644" ]
		[ "$(stat -c '%a' "$TEST_TMP/$fmt/setuid" "$TEST_TMP/$fmt/setgid" "$TEST_TMP/$fmt/sticky" | tr '\n' ' ')" = "4755 2711 1777 " ]
		[ "$(stat -c '%F %t:%T' "$TEST_TMP/$fmt/null")" = "character special file 1:3" ]
		[ "$(stat -c '%F %t:%T %g' "$TEST_TMP/$fmt/loop9")" = "block special file 7:9 6" ]
		[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "security.capability").hex())' "$TEST_TMP/$fmt/ping")" = 0000000200200000000000000000000000000000 ]
		[ "$(stat -c %i "$TEST_TMP/$fmt/owned")" = "$(stat -c %i "$TEST_TMP/$fmt/owned-link")" ]
		cmp "$src/sparse" "$TEST_TMP/$fmt/sparse"
		# holes stay holes
		[ "$(du -k "$TEST_TMP/$fmt/sparse" | cut -f1)" -lt 1024 ]
	done
	# PAX keeps nanoseconds
	[ "$(stat -c %y "$TEST_TMP/pax/owned")" = "$(stat -c %y "$src/owned")" ]
	# the diff of the tree carries all of it, and applies back the same
	"$LAYER_TOOL" diff "$TEST_TMP/pax" "$TEST_TMP/back.tar" >/dev/null
	"$LAYER_TOOL" apply "$TEST_TMP/back.tar" "$TEST_TMP/back" >/dev/null
	diff <("$TARLIST" list "$TEST_TMP/pax") <("$TARLIST" list "$TEST_TMP/back")
	# numeric owners only, xattrs as SCHILY.xattr, the hard link as a link
	python3 - "$TEST_TMP/back.tar" <<-'EOF'
		import sys, tarfile
		with tarfile.open(sys.argv[1]) as tf:
		    ms = {m.name: m for m in tf}
		assert all(m.uname == "" and m.gname == "" for m in ms.values()), "names"
		assert ms["owned"].uid == 1234 and ms["owned"].gid == 5678
		assert ms["ping"].pax_headers["SCHILY.xattr.security.capability"]
		assert ms["owned-link"].islnk() and ms["owned-link"].linkname == "owned"
		assert ms["setuid"].mode == 0o4755
		names = list(ms)
		assert names == sorted(names, key=lambda n: n.split("/")), names
	EOF
}

@test "layers: an entry replaces what is there, a directory included" {
	python3 - "$TEST_TMP" <<-'EOF'
		import io, sys, tarfile
		def add(tf, name, kind=tarfile.REGTYPE, data=b"", link=""):
		    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = link
		    ti.size = len(data) if kind == tarfile.REGTYPE else 0; ti.mode = 0o755
		    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
		with tarfile.open(sys.argv[1] + "/r.tar", "w") as tf:
		    add(tf, "d/", tarfile.DIRTYPE); add(tf, "d/child", data=b"c")
		    add(tf, "d", data=b"now a file")
		    add(tf, "f", data=b"file"); add(tf, "f/", tarfile.DIRTYPE)
		    add(tf, "s", tarfile.SYMTYPE, link="d"); add(tf, "s", tarfile.FIFOTYPE)
	EOF
	run "$LAYER_TOOL" apply "$TEST_TMP/r.tar" "$TEST_TMP/r"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/r/d")" = "now a file" ]
	[ -d "$TEST_TMP/r/f" ]
	[ -p "$TEST_TMP/r/s" ]
}

@test "layers: AUFS metadata (.wh..wh.plnk and friends) is skipped" {
	python3 - "$TEST_TMP/aufs.tar" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    for n in [".wh..wh.plnk/", ".wh..wh.plnk/123.456", "a/.wh..wh.aufs", "ok", "x.wh..wh.y"]:
		        ti = tarfile.TarInfo(n.rstrip("/"))
		        ti.type = tarfile.DIRTYPE if n.endswith("/") else tarfile.REGTYPE
		        tf.addfile(ti, io.BytesIO(b""))
	EOF
	for mode in --overlay --flat; do
		rm -rf "$TEST_TMP/a"
		run "$LAYER_TOOL" apply "$mode" "$TEST_TMP/aufs.tar" "$TEST_TMP/a"
		[ "$status" -eq 0 ]
		[ "$(cd "$TEST_TMP/a" && find . | sort | tr '\n' ' ')" = ". ./ok ./x.wh..wh.y " ]
	done
}

@test "layers: parents the tar does not list are made 0755 whatever the umask" {
	python3 - "$TEST_TMP/p.tar" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    ti = tarfile.TarInfo("a/b/c"); ti.size = 1; ti.mode = 0o600
		    tf.addfile(ti, io.BytesIO(b"x"))
	EOF
	run bash -c "umask 077 && '$LAYER_TOOL' apply '$TEST_TMP/p.tar' '$TEST_TMP/p'"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$TEST_TMP/p/a" "$TEST_TMP/p/a/b" "$TEST_TMP/p/a/b/c" | tr '\n' ' ')" = "755 755 600 " ]
}

# hostile KIND: build the tar, apply it in both modes; prints the error.
hostile() {
	local kind=$1 mode
	"$TARLIST" hostile "$kind" "$TEST_TMP/$kind.tar" "$CANARY"
	for mode in --overlay --flat; do
		rm -rf "$TEST_TMP/dest"
		run "$LAYER_TOOL" apply "$mode" "$TEST_TMP/$kind.tar" "$TEST_TMP/dest"
		echo "$kind $mode: $output"
		canary_intact
		[ ! -e "$TEST_TMP/escape" ]
		[ ! -e "/escape" ]
		[ "$status" -eq "${2:-1}" ]
		if [ "$status" -ne 0 ]; then
			[ "${#lines[@]}" -eq 1 ]
			[[ "$output" == "layer-tool: layer entry \`$3\`"* ]]
		fi
	done
}

@test "layers: hostile names are refused, naming the entry" {
	hostile dotdot 1 ../escape
	hostile dotdot-deep 1 a/b/../../../escape
	hostile hardlink-dotdot 1 passwd
	hostile whiteout-parent 1 dir/file
	hostile whiteout-dotdot 1 .wh..
	hostile symlink-parent 1 evil/pwned
	hostile symlink-relative-parent 1 evil/pwned
}

@test "layers: hostile links are contained in the destination" {
	hostile absolute 0
	[ "$(cat "$TEST_TMP/dest/abs/path")" = contained ]
	hostile symlink-final 0
	[ "$(cat "$TEST_TMP/dest/evil")" = pwned ]
	[ ! -L "$TEST_TMP/dest/evil" ]
	# /etc/passwd seen from the destination: not there, so an error
	hostile hardlink-absolute 1 passwd
	hostile hardlink-symlink 0
	[ "$(cat "$TEST_TMP/dest/link")" = pwned ]
	[ -L "$TEST_TMP/dest/evil" ]
	# evil resolves to $CANARY inside the destination, which is missing
	hostile hardlink-via-symlink-dir 1 link
}

@test "layers: a failing layer read from a pipe that stays open returns at once" {
	"$TARLIST" hostile dotdot "$TEST_TMP/bad.tar"
	mkfifo "$TEST_TMP/fifo"
	# the writer keeps the pipe open long after the bad entry
	(cat "$TEST_TMP/bad.tar"; exec sleep 30) >"$TEST_TMP/fifo" &
	local writer=$!
	SECONDS=0
	run timeout 20 "$LAYER_TOOL" apply "$TEST_TMP/fifo" "$TEST_TMP/dest"
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$SECONDS" -lt 10 ]
	[[ "$output" == *"path leaves the layer root"* ]]
}

@test "layers: devices can be refused" {
	"$TARLIST" hostile device "$TEST_TMP/dev.tar"
	run "$LAYER_TOOL" apply --no-devices "$TEST_TMP/dev.tar" "$TEST_TMP/dest"
	[ "$status" -eq 1 ]
	[ "$output" = "layer-tool: layer entry \`dev/mem\`: device nodes are not permitted: Operation not permitted" ]
	run "$LAYER_TOOL" apply "$TEST_TMP/dev.tar" "$TEST_TMP/dest2"
	[ "$status" -eq 0 ]
	[ -c "$TEST_TMP/dest2/dev/mem" ]
}

@test "layers: truncated and corrupt input fail cleanly" {
	local gz=$IMAGES/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz
	gzip -dc "$gz" | head -c 1000000 >"$TEST_TMP/cut.tar"
	run "$LAYER_TOOL" apply "$TEST_TMP/cut.tar" "$TEST_TMP/d1"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"runcated"* ]]
	head -c 1000000 "$gz" >"$TEST_TMP/cut.tar.gz"
	run "$LAYER_TOOL" apply "$TEST_TMP/cut.tar.gz" "$TEST_TMP/d2"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "layer-tool: gzip stream is truncated: Input/output error" ]
	python3 - "$gz" "$TEST_TMP/bad.tar.gz" <<-'EOF'
		import sys
		data = bytearray(open(sys.argv[1], "rb").read())
		for i in range(2000, 2400):
		    data[i] ^= 0xA5
		open(sys.argv[2], "wb").write(data)
	EOF
	# garbage inside the deflate stream may still inflate: whatever
	# breaks first, it is one clean line
	run "$LAYER_TOOL" apply "$TEST_TMP/bad.tar.gz" "$TEST_TMP/d3"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	# a wrong CRC in the trailer is caught at the end
	python3 - "$gz" "$TEST_TMP/crc.tar.gz" <<-'EOF'
		import sys
		data = bytearray(open(sys.argv[1], "rb").read())
		data[-8] ^= 0xFF
		open(sys.argv[2], "wb").write(data)
	EOF
	run "$LAYER_TOOL" apply "$TEST_TMP/crc.tar.gz" "$TEST_TMP/d5"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "layer-tool: corrupt gzip stream: incorrect data check: Input/output error" ]
	printf 'not a tar at all, just some text that is long enough\n%.0s' {1..20} >"$TEST_TMP/junk"
	run "$LAYER_TOOL" apply "$TEST_TMP/junk" "$TEST_TMP/d4"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
}
