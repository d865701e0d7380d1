#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Interoperation: Debian's dockerd (through its own containerd and the runc
# shim) runs containers with berth-runtime added as a runtime.  The daemon
# is private to the test: its data root, exec root, pid file and socket
# live in the test's temp dir; no bridge, no iptables.
load runtime-common

DOCKER=/usr/bin/docker

setup() {
	rt_setup
	# dockerd's cgroup parent: removed in teardown only if the test made it.
	DOCKER_CG_EXISTED=$(find /sys/fs/cgroup -maxdepth 2 -type d -name docker | head -n 1)
	[ -x /usr/sbin/dockerd ] && [ -x $DOCKER ] || skip "docker.io is not installed (make deps)"
	# The daemon's own paths must stay short: containerd's sockets live there.
	/usr/sbin/dockerd --data-root "$TEST_TMP/d" --exec-root "$TEST_TMP/x" \
		--pidfile "$TEST_TMP/dockerd.pid" -H "unix://$TEST_TMP/d.sock" \
		--bridge=none --iptables=false --ip6tables=false --ip-masq=false \
		--add-runtime "berth=$BERTH_RUNTIME" >"$TEST_TMP/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	for _ in $(seq 120); do docker_ version >/dev/null 2>&1 && break; sleep 0.25; done
	docker_ version >/dev/null 2>&1 || skip "dockerd does not start here: $(tail -n 1 "$TEST_TMP/dockerd.log")"
	IMAGE=$CID-image
	tar -C "$BUNDLE/rootfs" -c . | docker_ import - "$IMAGE" >/dev/null
}

teardown() {
	if [ -n "${DOCKERD_PID:-}" ]; then
		docker_ rm -f "$CID" >/dev/null 2>&1 || true
		kill "$DOCKERD_PID" 2>/dev/null || true
		wait "$DOCKERD_PID" 2>/dev/null || true
		[ -n "$DOCKER_CG_EXISTED" ] || rmdir /sys/fs/cgroup/*/docker 2>/dev/null || true
	fi
	rt_teardown
}

docker_() {
	$DOCKER -H "unix://$TEST_TMP/d.sock" "$@"
}

@test "dockerd: docker run --runtime berth, output and exit code" {
	run timeout 60 $DOCKER -H "unix://$TEST_TMP/d.sock" run --rm --runtime berth --network none \
		"$IMAGE" sh -c 'echo "hello from pid $$"; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "hello from pid 1" ]
	# nothing left in the runtime's state, and no container cgroup
	[ -z "$(ls -A "$TEST_TMP/x/runtime-runc/moby" 2>/dev/null)" ]
	[ -z "$(find /sys/fs/cgroup/*/docker -mindepth 1 -type d 2>/dev/null)" ]
}

@test "dockerd: a detached container, docker exec, and docker rm -f" {
	timeout 60 $DOCKER -H "unix://$TEST_TMP/d.sock" run -d --name "$CID" --runtime berth \
		--network none "$IMAGE" sleep 1000
	run docker_ inspect -f '{{.State.Running}} {{.HostConfig.Runtime}}' "$CID"
	[ "$output" = "true berth" ]
	run timeout 30 $DOCKER -H "unix://$TEST_TMP/d.sock" exec "$CID" sh -c 'cat /proc/1/cmdline; echo; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == sleep* ]]
	docker_ rm -f "$CID"
	run docker_ ps -aq
	[ -z "$output" ]
}
