#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth-runtime run: what the process sees from inside the container.
load runtime-common

setup() { rt_setup; }
teardown() { rt_teardown; }

@test "run: pid 1 is the process, the hostname is set, only its processes are visible" {
	cfg '.hostname = "inside"'
	cfg_sh 'echo "pid=$$"; hostname; ps -o pid= | wc -l'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pid=1" ]
	[ "${lines[1]}" = "inside" ]
	# sh, ps and wc: nothing from the host
	[ "${lines[2]}" -le 3 ]
	assert_no_leftovers "$CID"
}

@test "run: a new network namespace has its loopback up, as runc's and crun's" {
	# (the rootfs is read-only: the page lives in /dev/shm)
	cfg_sh 'ip -o link; echo hi >/dev/shm/i && httpd -p 127.0.0.1:8099 -h /dev/shm && wget -q -O- http://127.0.0.1:8099/i'
	rt_run
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *"lo:"*"UP"* ]]
	[ "${lines[1]}" = hi ]
	assert_no_leftovers "$CID"
}

@test "run: exit codes propagate, and a signal gives 128+N" {
	cfg_sh 'exit 42'
	rt_run
	[ "$status" -eq 42 ]
	# pid 1 cannot be SIGKILLed from inside: send it from outside.
	cfg_sh 'sleep 100'
	rt run --bundle "$BUNDLE" "$CID" &
	local bg=$!
	for _ in $(seq 100); do [ "$(rt_status "$CID" 2>/dev/null)" = running ] && break; sleep 0.05; done
	rt kill "$CID" KILL
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ]
	assert_no_leftovers "$CID"
}

@test "run: the capability sets and NoNewPrivs are the requested ones" {
	cfg '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"],
		effective: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		inheritable: ["CAP_KILL", "CAP_NET_RAW"],
		ambient: ["CAP_KILL"] } | .process.noNewPrivileges = true'
	cfg_sh 'grep -E "^(Cap|NoNewPrivs)" /proc/1/status'
	rt_run
	[ "$status" -eq 0 ]
	# CHOWN=0 KILL=5 NET_RAW=13 SETUID=7 (for uid 0 the kernel makes
	# the effective set equal the permitted one at exec)
	[[ "$output" == *"CapBnd:	00000000000020a1"* ]]
	[[ "$output" == *"CapPrm:	0000000000002021"* ]]
	[[ "$output" == *"CapEff:	0000000000002021"* ]]
	[[ "$output" == *"CapInh:	0000000000002020"* ]]
	[[ "$output" == *"CapAmb:	0000000000000020"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "run: without noNewPrivileges the flag is off" {
	cfg '.process.noNewPrivileges = false'
	cfg_sh 'grep NoNewPrivs /proc/self/status'
	rt_run
	[ "$status" -eq 0 ]
	[[ "$output" == *"NoNewPrivs:	0"* ]]
}

@test "run: user, groups, umask, env, cwd and rlimits" {
	cfg '.process.user = {uid: 1000, gid: 1000, umask: 63, additionalGids: [1001, 5]}
		| .process.env += ["GREETING=hello world"]
		| .process.cwd = "/home/user"
		| .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654}]'
	cfg_sh 'id -u; id -g; id -G; umask; echo "$GREETING"; pwd; ulimit -n; ulimit -Hn'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = "1000 5 1001" ]
	[ "${lines[3]}" = 0077 ]
	[ "${lines[4]}" = "hello world" ]
	[ "${lines[5]}" = /home/user ]
	[ "${lines[6]}" = 321 ]
	[ "${lines[7]}" = 654 ]
}

@test "run: a missing cwd is created inside the rootfs" {
	cfg '.process.cwd = "/made/by/runtime" | .root.readonly = false'
	cfg_sh 'pwd'
	rt_run
	[ "$status" -eq 0 ]
	[ "$output" = /made/by/runtime ]
	[ -d "$BUNDLE/rootfs/made/by/runtime" ]
}

@test "run: masked paths are unreadable, readonly paths and /sys are read-only" {
	cfg '.linux.maskedPaths += ["/etc/passwd"]'
	cfg_sh 'echo "kcore=$(head -c 16 /proc/kcore | wc -c)"; echo "passwd=$(wc -c </etc/passwd)";
		echo "firmware=$(ls /sys/firmware | wc -l)";
		echo 1 >/proc/sys/kernel/domainname 2>/dev/null && echo sys-writable;
		touch /sys/kernel/x 2>/dev/null && echo sysfs-writable;
		grep " /sys " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1'
	rt_run
	[ "$status" -eq 0 ]
	[[ "$output" == *"kcore=0"* ]]
	[[ "$output" == *"passwd=0"* ]]
	[[ "$output" == *"firmware=0"* ]]
	[[ "$output" != *writable* ]]
	[ "${lines[-1]}" = ro ]
}

@test "run: root.readonly makes / read-only, and false leaves it writable" {
	cfg_sh 'touch /newfile 2>/dev/null && echo writable || echo readonly'
	rt_run
	[ "$output" = readonly ]
	cfg '.root.readonly = false'
	rt_run
	[ "$output" = writable ]
	[ -f "$BUNDLE/rootfs/newfile" ]
}

@test "run: default devices, /dev links and linux.devices" {
	cfg '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 438, uid: 0, gid: 0}]'
	cfg_sh 'for d in null zero full random urandom tty mynull; do [ -c /dev/$d ] || echo "missing $d"; done
		readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin; [ -d /dev/shm ] && echo shm;
		echo hi >/dev/mynull && echo wrote; head -c 4 /dev/zero | wc -c'
	rt_run
	[ "$status" -eq 0 ]
	[[ "$output" != *missing* ]]
	[ "${lines[0]}" = pts/ptmx ]
	[ "${lines[1]}" = /proc/self/fd ]
	[ "${lines[2]}" = /proc/self/fd/0 ]
	[ "${lines[3]}" = shm ]
	[ "${lines[4]}" = wrote ]
	[ "${lines[5]}" = 4 ]
}

@test "run: bind mounts with ro, and tmpfs with options" {
	mkdir "$TEST_TMP/data"
	echo payload >"$TEST_TMP/data/file"
	cfg --arg src "$TEST_TMP/data" '.mounts += [
		{destination: "/data", type: "bind", source: $src, options: ["rbind", "ro"]},
		{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=1m"]}]'
	cfg_sh 'cat /data/file; touch /data/x 2>/dev/null && echo data-writable;
		touch /scratch/x && echo scratch-ok; grep " /scratch " /proc/self/mounts'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = payload ]
	[[ "$output" != *data-writable* ]]
	[ "${lines[1]}" = scratch-ok ]
	[[ "${lines[2]}" == *"size=1024k"* ]]
	[[ "${lines[2]}" == *"nosuid,nodev"* ]]
}

@test "run: sysctl and domainname" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4242"} | .domainname = "example.org"'
	cfg_sh 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; cat /proc/sys/kernel/domainname'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 4242 ]
	[ "${lines[2]}" = example.org ]
}

@test "run: --no-pivot runs the container with MS_MOVE + chroot" {
	cfg_sh 'echo "pid=$$"; ls /'
	run "$BERTH_RUNTIME" --root "$STATE" run --no-pivot --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pid=1" ]
	[[ "$output" == *proc* ]]
	assert_no_leftovers "$CID"
}

@test "run: oomScoreAdj and a joined namespace by path" {
	cfg '.process.oomScoreAdj = 123'
	cfg --arg ns "/proc/$$/ns/net" '.linux.namespaces |= map(if .type == "network" then .path = $ns else . end)'
	cfg_sh 'cat /proc/self/oom_score_adj; readlink /proc/self/ns/net'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = "$(readlink /proc/$$/ns/net)" ]
}

@test "run: time namespace offsets and a cgroup namespace" {
	cfg '.linux.namespaces += [{type: "time"}, {type: "cgroup"}]
		| .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}}'
	cfg_sh 'cut -d. -f1 /proc/uptime; grep -c ":/$" /proc/self/cgroup; wc -l </proc/self/cgroup'
	rt_run
	[ "$status" -eq 0 ]
	[ "${lines[0]}" -ge 864000 ]
	[ "$(cut -d. -f1 /proc/uptime)" -lt 864000 ]
	# every hierarchy's path is the namespace's root
	[ "${lines[1]}" = "${lines[2]}" ]
}
