#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bad input: one clear line, a non-zero exit, nothing tagged, nothing left.
load build-common

setup() { build_setup; }
teardown() { build_teardown; }

# The build failed with exactly one berth: line (the last), matching $1.
assert_fails_with() {
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(grep -c '^berth: ' <<<"$output")" -eq 1 ]
	[[ "${lines[-1]}" == "berth: "* ]]
	[[ "${lines[-1]}" == $1 ]]
}

assert_untagged() {
	run B images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" != *"bad:"* ]]
}

@test "bad: a RUN that exits non-zero names the step and the status; nothing is left" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ENV X=1
RUN echo before
RUN echo partial > /partial && exit 3
RUN echo never
DF
	local layers images
	layers=$(ls "$ROOT/layers" | wc -l)
	images=$(B images -q | wc -l)
	run B build -t bad:1 "$CTX"
	assert_fails_with "berth: step 4/5 RUN echo partial > /partial && exit 3: exited with status 3"
	[[ "$output" == *before* ]]
	[[ "$output" != *never* ]]
	assert_untagged
	assert_nothing_left
	# no layer holds the failed step's file
	[ -z "$(find "$ROOT/layers" -name partial)" ]
	# the steps before it made no layer (ENV, a RUN that wrote nothing)
	# and the store holds no new layer or image
	[ "$(ls "$ROOT/layers" | wc -l)" -eq "$layers" ]
	[ "$(B images -q | wc -l)" -eq "$images" ]
	run B ps -a -q
	[ -z "$output" ]
	# RUN false, the classic
	printf 'FROM busybox:1.38.0-musl\nRUN false\n' >"$CTX/Dockerfile"
	run B build -t bad:2 "$CTX"
	assert_fails_with "berth: step 2/2 RUN false: exited with status 1"
	assert_nothing_left
}

@test "bad: unknown instruction, syntax error and empty Dockerfile give file:line" {
	printf 'FROM busybox:1.38.0-musl\nFOO bar\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:2: unknown instruction: FOO"
	printf 'FROM busybox:1.38.0-musl\nRUN echo\nCOPY onlyone\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:3: COPY requires at least two arguments, but only one was provided: the destination could not be determined"
	printf 'FROM busybox:1.38.0-musl\nHEALTHCHECK --interval=xyz CMD true\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:2: HEALTHCHECK: --interval: invalid duration \`xyz\`"
	printf '# only a comment\n\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:2: file with no instructions"
	: >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:1: file with no instructions"
	printf 'RUN echo\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: Dockerfile:1: RUN before the first FROM (only ARG may come first)"
	assert_untagged
	assert_nothing_left
}

@test "bad: COPY sources missing, outside the context, or matching nothing" {
	printf 'FROM busybox:1.38.0-musl\nCOPY nope /\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: step 2/2 COPY nope /: COPY: \`nope\` not found in the build context"
	printf 'FROM busybox:1.38.0-musl\nCOPY ../outside /\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: step 2/2 COPY ../outside /: COPY ../outside: the path is outside the build context"
	printf 'FROM busybox:1.38.0-musl\nCOPY *.none /x/\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: *no source files were specified by \`\*.none\`"
	touch "$CTX/a" "$CTX/b"
	printf 'FROM busybox:1.38.0-musl\nCOPY a b /notadir\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: *must be a directory and end with a /"
	printf 'FROM busybox:1.38.0-musl\nCOPY --from=nosuchstage /x /\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: *nosuchstage*"
	assert_untagged
	assert_nothing_left
}

@test "bad: missing base image, bad options" {
	printf 'FROM nosuch:1\n' >"$CTX/Dockerfile"
	run B build -t bad "$CTX"
	assert_fails_with "berth: *base image \`nosuch:1\` not found*"
	printf 'FROM busybox:1.38.0-musl\n' >"$CTX/Dockerfile"
	run B build --network bridge "$CTX"
	assert_fails_with "berth: build: --network bridge: none or host*"
	run B build -t 'Bad Name' "$CTX"
	assert_fails_with "berth: -t Bad Name*"
	run B build "$TEST_TMP/no-such-dir"
	assert_fails_with "berth: build context*"
	run B build "$CTX" extra
	assert_fails_with "berth: build: requires exactly 1 argument*"
	assert_untagged
	assert_nothing_left
}

@test "bad: RUN has no network by default (loopback only); --network host has the host's" {
	printf 'FROM busybox:1.38.0-musl\nRUN ip -o link | cut -d: -f2 | tr -d " " > /links\nRUN cat /links\n' >"$CTX/Dockerfile"
	run B build --no-cache "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sed -n '/^#3 \[/,/^#3 DONE/p' <<<"$output" | sed '1d;$d')" = "lo" ]
	run B build --no-cache --network host "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(sed -n '/^#3 \[/,/^#3 DONE/p' <<<"$output" | sed '1d;$d' | wc -l)" -gt 1 ]
	# The default namespace's loopback is up: a server on it answers.
	printf '%s\n' 'FROM busybox:1.38.0-musl' \
		'RUN mkdir /w && echo hi > /w/i && httpd -p 127.0.0.1:8099 -h /w && wget -q -O- http://127.0.0.1:8099/i' \
		>"$CTX/Dockerfile"
	run B build --no-cache "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nhi\n'* ]]
}

@test "bad: ^C during a RUN stops it and cleans up; a killed build is cleaned up by the next" {
	printf 'FROM busybox:1.38.0-musl\nRUN echo started; sleep 58.7\n' >"$CTX/Dockerfile"
	"$BERTH" --root "$ROOT" --runroot "$RUNROOT" build -t bad:int "$CTX" >"$TEST_TMP/out" 2>&1 &
	local pid=$!
	timeout 20 sh -c "until grep -q '^started' '$TEST_TMP/out'; do sleep 0.1; done"
	kill -INT "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	cat "$TEST_TMP/out"
	grep -q "berth: step 2/2 RUN echo started; sleep 58.7: interrupted by signal 2" "$TEST_TMP/out"
	assert_untagged
	assert_nothing_left

	"$BERTH" --root "$ROOT" --runroot "$RUNROOT" build -t bad:kill "$CTX" >"$TEST_TMP/out2" 2>&1 &
	pid=$!
	timeout 20 sh -c "until grep -q '^started' '$TEST_TMP/out2'; do sleep 0.1; done"
	kill -KILL "$pid"
	wait "$pid" || true
	# the dead build's mount and container are still there...
	[ -n "$(ls -A "$RUNROOT/build")" ]
	# ...until the next build reaps them
	printf 'FROM busybox:1.38.0-musl\nRUN true\n' >"$CTX/Dockerfile"
	run B build -q "$CTX"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$RUNROOT/build")" ]
	[ -z "$(ls -A "$ROOT/build")" ]
	[ -z "$(grep -F " $TEST_TMP" /proc/self/mountinfo)" ]
	refute pgrep -f "sleep 58.7" >/dev/null
}
