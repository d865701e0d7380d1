#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The build cache: what hits, what misses, and reproducible digests.
load build-common

setup() {
	build_setup
	mkdir -p "$CTX/src"
	echo one >"$CTX/src/a"
	echo two >"$CTX/src/b"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ENV APP=demo
COPY src /src
RUN cat /src/a /src/b > /joined
WORKDIR /work
RUN pwd > /where
COPY src/a /work/a
CMD ["cat", "/joined"]
DF
}
teardown() { build_teardown; }

# The status of steps 1..N as one string: "C" cached, "D" done.
statuses() {
	local n=$1 i s out=""
	for i in $(seq 1 "$n"); do
		s=$(step_status "$i")
		case "$s" in CACHED) out+=C ;; DONE) out+=D ;; *) out+=? ;; esac
	done
	echo "$out"
}

@test "cache: a rebuild is all CACHED; a changed WORKDIR rebuilds it and what follows" {
	run B build -t c:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(statuses 8)" = "DDDDDDDD" ]
	local first
	first=$(B image inspect --format '{{.Id}}' c:1)
	# the image's own CMD, with berth run
	run timeout 60 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" run --rm c:1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntwo')" ]

	run B build -t c:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(statuses 8)" = "CCCCCCCC" ]
	[ "$(B image inspect --format '{{.Id}}' c:1)" = "$first" ]
	# nothing ran: no RUN output, no container
	[[ "$output" != *"exited"* ]]

	sed -i 's|^WORKDIR /work$|WORKDIR /elsewhere|; s|/work/a|/elsewhere/a|' "$CTX/Dockerfile"
	run B build -t c:2 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(statuses 8)" = "CCCCDDDD" ]
	run_in c:2 'cat /where; cat /elsewhere/a'
	[[ "$output" == *"/elsewhere"* ]]
	[[ "$output" == *"one"* ]]

	# --no-cache runs everything again
	run B build --no-cache -t c:3 "$CTX"
	[ "$status" -eq 0 ]
	[ "$(statuses 8)" = "DDDDDDDD" ]
	assert_nothing_left
}

@test "cache: a fresh copy of the context (new mtimes) hits; changed content misses" {
	run B build "$CTX"
	[ "$status" -eq 0 ]
	cp -r "$CTX" "$TEST_TMP/clone"
	touch -d '2030-01-01' "$TEST_TMP/clone/src/a" "$TEST_TMP/clone/src"
	run B build "$TEST_TMP/clone"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(statuses 8)" = "CCCCCCCC" ]

	# a mode change counts
	chmod 600 "$TEST_TMP/clone/src/b"
	run B build "$TEST_TMP/clone"
	[ "$(statuses 8)" = "CCDDDDDD" ]
	# content counts: only the last COPY of src/a sees it... and the first
	chmod 644 "$TEST_TMP/clone/src/b"
	echo changed >"$TEST_TMP/clone/src/a"
	run B build "$TEST_TMP/clone"
	[ "$(statuses 8)" = "CCDDDDDD" ]
}

@test "cache: a --build-arg a RUN uses is part of its key" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ARG V=1
RUN echo "$V" > /v
DF
	run B build "$CTX"
	[ "$(statuses 3)" = "DDD" ]
	run B build "$CTX"
	[ "$(statuses 3)" = "CCC" ]
	run B build --build-arg V=2 "$CTX"
	[ "$(statuses 3)" = "CDD" ]
	run B build --build-arg V=2 "$CTX"
	[ "$(statuses 3)" = "CCC" ]
}

@test "cache: an entry whose layer was collected is a miss, not an error" {
	run B build -t gc:1 "$CTX"
	[ "$status" -eq 0 ]
	run B rmi gc:1
	[ "$status" -eq 0 ]
	run B build -t gc:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in gc:1 'cat /joined'
	[[ "$output" == *one*two* ]]
}

@test "reproducible: --source-date-epoch gives the same image ID, in any store, from any clone" {
	# A build without the epoch first: its layers (real mtimes) must not
	# be what a build with it reuses.
	B build -q "$CTX" >/dev/null
	run B build -q --source-date-epoch 1700000000 "$CTX"
	[ "$status" -eq 0 ]
	local id1=$output
	# another store, a fresh copy with other mtimes, no cache, another
	# second on the clock for what the RUNs write
	sleep 1.1
	cp -r "$CTX" "$TEST_TMP/clone"
	touch "$TEST_TMP/clone/src/a"
	mkdir -p "$TEST_TMP/other"
	"$BERTH" --root "$TEST_TMP/other" --runroot "$TEST_TMP/other-run" load -i "$FIXTURES/images/oci-layouts/busybox-1.38.0-musl-amd64" >/dev/null
	run "$BERTH" --root "$TEST_TMP/other" --runroot "$TEST_TMP/other-run" build -q --no-cache --source-date-epoch 1700000000 "$TEST_TMP/clone"
	[ "$status" -eq 0 ]
	[ "$output" = "$id1" ]
	# SOURCE_DATE_EPOCH in the environment does the same
	run env SOURCE_DATE_EPOCH=1700000000 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" build -q --no-cache "$CTX"
	[ "$output" = "$id1" ]
	run jq -r '.created, (.history[-1].created)' "$ROOT/blobs/sha256/${id1#sha256:}"
	[ "${lines[0]}" = "2023-11-14T22:13:20Z" ]
	[ "${lines[1]}" = "2023-11-14T22:13:20Z" ]
	# and another epoch, another image
	run B build -q --source-date-epoch 1700000001 "$CTX"
	[ "$output" != "$id1" ]
}
