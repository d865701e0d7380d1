#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth-runtime: seccomp, user namespaces, and the hardening against a
# hostile rootfs or container (CVE-2021-30465, CVE-2019-5736, CVE-2024-21626
# classes).
load runtime-common

setup() { rt_setup; }
teardown() { rt_teardown; }

@test "security: a mount destination that is a symlink in the rootfs lands inside the rootfs" {
	mkdir -p "$TEST_TMP/src" "$TEST_TMP/hostdir" "$TEST_TMP/hostdir2"
	echo secret-from-source >"$TEST_TMP/src/file"
	# An absolute host-looking path, and a ../ escape.
	ln -s "$TEST_TMP/hostdir" "$BUNDLE/rootfs/evil"
	ln -s "../../../../../../../../..$TEST_TMP/hostdir2" "$BUNDLE/rootfs/tmp/evil2"
	cfg --arg src "$TEST_TMP/src" '.root.readonly = false | .mounts += [
		{destination: "/evil/sub/deeper", type: "bind", source: $src, options: ["bind"]},
		{destination: "/tmp/evil2", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	cfg_sh 'cat /evil/sub/deeper/file; grep -c " /tmp/evil2\| '"$TEST_TMP"'/hostdir2 " /proc/self/mounts'
	rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = secret-from-source ]
	# The host directories are untouched: nothing created or mounted there.
	[ -z "$(ls -A "$TEST_TMP/hostdir")" ]
	[ -z "$(ls -A "$TEST_TMP/hostdir2")" ]
	refute grep -q "$TEST_TMP/hostdir" /proc/self/mountinfo
	# What was created, was created inside the rootfs.
	[ -d "$BUNDLE/rootfs/$TEST_TMP/hostdir/sub/deeper" ]
	[ -d "$BUNDLE/rootfs/$TEST_TMP/hostdir2" ]
	assert_no_leftovers "$CID"
}

@test "security: a device path that is a symlink to the host is replaced, not followed" {
	touch "$TEST_TMP/victim"
	cfg '.root.readonly = false | .mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
	mkdir -p "$BUNDLE/rootfs/dev"
	ln -s "$TEST_TMP/victim" "$BUNDLE/rootfs/dev/null"
	cfg_sh '[ -c /dev/null ] && echo chardev'
	rt_run
	[ "$status" -eq 0 ]
	[ "$output" = chardev ]
	[ -f "$TEST_TMP/victim" ] && [ ! -c "$TEST_TMP/victim" ]
}

@test "security: seccomp is on and a denied syscall returns the requested errno" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 95}]}'
	cfg_sh 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>&1; echo "rc=$?"'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Seccomp:	2" ]
	[[ "${lines[1]}" == *"not supported"* ]]
	[ "${lines[2]}" = "rc=1" ]
}

@test "security: seccomp also applies without noNewPrivileges" {
	cfg '.process.noNewPrivileges = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["getcwd"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	cfg_sh 'grep "^Seccomp:" /proc/self/status; grep NoNewPrivs /proc/self/status; pwd -P 2>&1 || echo denied'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Seccomp:	2" ]
	[ "${lines[1]}" = "NoNewPrivs:	0" ]
}

@test "security: a user namespace with uid/gid maps" {
	chmod 755 "$TEST_TMP"
	cfg '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 200000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 65536}]'
	cfg_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; echo "pid=$$"; grep -c . /proc/mounts >/dev/null && echo mounts-ok'
	cfg_sh 'cat /proc/self/uid_map /proc/self/gid_map; id -u; echo "pid=$$"; [ -c /dev/null ] && echo devnull'
	rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ *0\ +200000\ +65536$ ]]
	[[ "${lines[1]}" =~ ^\ *0\ +200000\ +65536$ ]]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = pid=1 ]
	[ "${lines[4]}" = devnull ]
	assert_no_leftovers "$CID"
	# exec joins the user namespace too
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	run rt exec "$CID" sh -c 'cat /proc/self/uid_map; id -u; cat /proc/1/cmdline'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ *0\ +200000\ +65536$ ]]
	[ "${lines[1]}" = 0 ]
}

@test "security: no host fd reaches the container, and /proc/self/exe is a sealed copy" {
	cfg_sh 'ls /proc/self/fd | sort -n | tr "\n" " "; echo; readlink /proc/1/cwd; echo x >/proc/1/exe 2>/dev/null && echo exe-writable; true'
	rt_run 3>/dev/null 4>/dev/null 7</dev/null
	[ "$status" -eq 0 ]
	# 0 1 2 and the fd of `ls` itself: nothing inherited from the runtime.
	[ "${lines[0]}" = "0 1 2 3 " ]
	[ "${lines[1]}" = / ]
	[[ "$output" != *exe-writable* ]]
}

@test "security: the runtime process that enters a container runs from a sealed memfd" {
	cfg_sh 'sleep 1000'
	rt create --bundle "$BUNDLE" "$CID"
	local pid
	pid=$(rt state "$CID" | jq -r .pid)
	# The waiting init is the runtime itself: its exe is the sealed memfd.
	[[ "$(readlink "/proc/$pid/exe")" == *"memfd:berth-runtime"* ]]
	# Even root on the host cannot write through it, and the binary on
	# the host is untouched.
	local sum
	sum=$(sha256sum "$BERTH_RUNTIME")
	run sh -c "echo overwritten >>/proc/$pid/exe"
	[ "$status" -ne 0 ]
	[ "$(sha256sum "$BERTH_RUNTIME")" = "$sum" ]
}

@test "security: a #!/proc/self/exe binary in the container cannot reach the host runtime" {
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/evil"
	chmod +x "$BUNDLE/rootfs/bin/evil"
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	local sum
	sum=$(sha256sum "$BERTH_RUNTIME")
	run rt exec "$CID" /bin/evil
	[ "$status" -ne 0 ]
	[ "$(sha256sum "$BERTH_RUNTIME")" = "$sum" ]
}

@test "security: rootless, as an unprivileged user with \`spec --rootless\`" {
	require_cmd setpriv
	chmod 755 "$TEST_TMP"
	chown -R 1000:1000 "$BUNDLE"
	mkdir -p "$STATE" && chown 1000:1000 "$STATE"
	rm "$BUNDLE/config.json"
	local user=(setpriv --reuid 1000 --regid 1000 --clear-groups)
	"${user[@]}" "$BERTH_RUNTIME" spec --rootless --bundle "$BUNDLE"
	cfg '.process.terminal = false'
	cfg_sh 'id -u; cat /proc/self/uid_map; echo "pid=$$"'
	run "${user[@]}" "$BERTH_RUNTIME" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ *0\ +1000\ +1$ ]]
	[ "${lines[2]}" = pid=1 ]
	assert_no_leftovers "$CID"
}

@test "security: the waiting init is not dumpable: the container cannot open its exe, fds or cwd" {
	cfg_sh 'sleep 1000'
	rt create --bundle "$BUNDLE" "$CID"
	run rt exec "$CID" sh -c 'readlink /proc/1/exe || echo exe-denied; readlink /proc/1/fd/0 >/dev/null 2>&1 || echo fd-denied; ls /proc/1/cwd/ >/dev/null 2>&1 || echo cwd-denied'
	[ "$status" -eq 0 ]
	[[ "$output" == *exe-denied* ]]
	[[ "$output" == *fd-denied* ]]
	[[ "$output" == *cwd-denied* ]]
	[[ "$output" != *memfd* ]]
}

@test "security: --preserve-fds passes exactly the first N extra fds" {
	cfg_sh 'ls /proc/self/fd | sort -n | tr "\n" " "; cat <&3'
	echo via-fd-3 >"$TEST_TMP/three"
	run "$BERTH_RUNTIME" --root "$STATE" run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3<"$TEST_TMP/three" 4</dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0 1 2 3 4 via-fd-3" ]
}

@test "security: a rootfs whose /dev leads to the host's /dev is refused before any node is touched" {
	# /dev is a symlink into a bind mount of the host's root: resolved inside
	# the rootfs it still reaches the host's devtmpfs.
	rm -rf "$BUNDLE/rootfs/dev"
	ln -s /host/dev "$BUNDLE/rootfs/dev"
	cfg '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .mounts += [{destination: "/host", type: "bind", source: "/", options: ["rbind"]}]'
	local before
	before=$(stat -c '%i %F' /dev/ptmx /dev/null /dev/full)
	run rt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"the rootfs's /dev is the host's /dev"* ]]
	[ "$(stat -c '%i %F' /dev/ptmx /dev/null /dev/full)" = "$before" ]
	assert_no_leftovers "$CID"
}
