#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# `berth dockerfile parse|check` against BuildKit's parser cases, the
# official images' Dockerfiles, and small Dockerfiles written here.
load helpers

setup() {
	setup_tmp
	[ -n "$FIXTURES" ] || fail_missing
}

teardown() {
	teardown_tmp
}

fail_missing() {
	echo "the shared fixtures are missing (expected at $TOP/../shared/fixtures)" >&2
	return 1
}

@test "dockerfile parse: every BuildKit parser case dumps to exactly its result" {
	local n=0 bad=()
	for dir in "$FIXTURES"/dockerfile-parser/testfiles/*/; do
		n=$((n + 1))
		if ! "$BERTH" dockerfile parse -f "$dir/Dockerfile" >"$TEST_TMP/out" 2>"$TEST_TMP/err"; then
			bad+=("$(basename "$dir"): $(cat "$TEST_TMP/err")")
		elif ! diff -u "$dir/result" "$TEST_TMP/out" >"$TEST_TMP/diff"; then
			bad+=("$(basename "$dir"): $(cat "$TEST_TMP/diff")")
		fi
	done
	printf '%s\n' "${bad[@]}"
	[ "$n" -ge 25 ]
	[ ${#bad[@]} -eq 0 ]
}

@test "dockerfile parse: every negative case fails with file:line and exit 125" {
	local n=0
	for dir in "$FIXTURES"/dockerfile-parser/testfiles-negative/*/; do
		n=$((n + 1))
		run "$BERTH" dockerfile parse -f "$dir/Dockerfile"
		echo "$(basename "$dir"): $status $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" =~ ^berth:\ .*/Dockerfile:[0-9]+:\ . ]]
	done
	[ "$n" -ge 3 ]
}

@test "dockerfile parse: the official images' Dockerfiles all parse" {
	local n=0
	while IFS= read -r f; do
		n=$((n + 1))
		run "$BERTH" dockerfile parse -f "$f"
		echo "$f: $status ${lines[0]}"
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "(from "* ]]
	done < <(find "$FIXTURES/dockerfiles-real" -type f -name 'Dockerfile*')
	[ "$n" -ge 9 ]
}

@test "dockerfile parse: ./Dockerfile by default, - for stdin" {
	printf 'from alpine:3.20\nRUN echo hi \\\n  there\n' >"$TEST_TMP/Dockerfile"
	cd "$TEST_TMP"
	run "$BERTH" dockerfile parse
	[ "$status" -eq 0 ]
	[ "$output" = $'(from "alpine:3.20")\n(run "echo hi   there")' ]
	run "$BERTH" dockerfile parse -f - <"$TEST_TMP/Dockerfile"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = '(run "echo hi   there")' ]
}

@test "dockerfile parse: heredocs, ONBUILD and flags" {
	cat >"$TEST_TMP/Dockerfile" <<-'DOCKERFILE'
	# syntax=docker/dockerfile:1
	FROM --platform=$BUILDPLATFORM golang:1.22 AS build
	RUN --mount=type=cache,target=/root/.cache <<EOF
	go build ./...
	EOF
	COPY --link --chmod=755 <<one <<two /out/
	1
	one
	2
	two
	ONBUILD RUN make
	HEALTHCHECK --interval=5s CMD ["curl", "-f", "http://localhost/"]
	DOCKERFILE
	run "$BERTH" dockerfile parse -f "$TEST_TMP/Dockerfile"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '(from ["--platform=$BUILDPLATFORM"] "golang:1.22" "AS" "build")' ]
	[ "${lines[1]}" = '(run ["--mount=type=cache,target=/root/.cache"] "<<EOF")' ]
	[ "${lines[2]}" = '(copy ["--link" "--chmod=755"] "<<one" "<<two" "/out/")' ]
	[ "${lines[3]}" = '(onbuild (run "make"))' ]
	[ "${lines[4]}" = '(healthcheck ["--interval=5s"] "CMD" "curl" "-f" "http://localhost/")' ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "dockerfile parse: errors name the file and line" {
	printf 'FROM alpine:3.20\n\n# comment\nFOO bar\n' >"$TEST_TMP/Dockerfile"
	run "$BERTH" dockerfile parse -f "$TEST_TMP/Dockerfile"
	[ "$status" -eq 125 ]
	[ "$output" = "berth: $TEST_TMP/Dockerfile:4: unknown instruction: FOO" ]

	printf 'FROM alpine:3.20\nRUN <<EOF\necho\n' >"$TEST_TMP/Dockerfile"
	run "$BERTH" dockerfile parse -f "$TEST_TMP/Dockerfile"
	[ "$status" -eq 125 ]
	[[ "$output" == "berth: $TEST_TMP/Dockerfile:2: unterminated heredoc"* ]]

	run "$BERTH" dockerfile parse -f "$TEST_TMP/nope"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"No such file or directory"* ]]

	run "$BERTH" dockerfile frobnicate
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown subcommand"* ]]
}

@test "dockerfile parse: an empty Dockerfile is a clear error" {
	: >"$TEST_TMP/Dockerfile"
	run "$BERTH" dockerfile parse -f "$TEST_TMP/Dockerfile"
	[ "$status" -eq 125 ]
	[ "$output" = "berth: $TEST_TMP/Dockerfile:1: file with no instructions" ]
	printf '# only a comment\n\n' >"$TEST_TMP/Dockerfile"
	run "$BERTH" dockerfile check -f "$TEST_TMP/Dockerfile"
	[ "$status" -eq 125 ]
	[[ "$output" == *"file with no instructions" ]]
}

@test "dockerfile check: a clean multi-stage Dockerfile has no findings" {
	cat >"$TEST_TMP/Dockerfile" <<-'DOCKERFILE'
	ARG GO_VERSION=1.22
	FROM golang:${GO_VERSION} AS build
	ARG TARGETARCH
	ENV CGO_ENABLED=0
	WORKDIR /src
	COPY . .
	RUN GOARCH=$TARGETARCH go build -o /out/app .
	FROM scratch
	COPY --from=build /out/app /app
	ENTRYPOINT ["/app"]
	DOCKERFILE
	run "$BERTH" dockerfile check -f "$TEST_TMP/Dockerfile"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "dockerfile check: finds each kind of mistake" {
	local f=$TEST_TMP/Dockerfile
	check_finds() { # expected line, then the Dockerfile's text
		printf '%s' "$2" >"$f"
		run "$BERTH" dockerfile check -f "$f"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[ "$output" = "$f:$1" ]
	}
	check_finds "2: warning: unknown instruction: COPPY (did you mean COPY?)" \
		$'FROM alpine:3.20\nCOPPY a b\n'
	check_finds "2: warning: undefined variable \`APP_HOME\` (never set by ARG or ENV)" \
		$'FROM alpine:3.20\nWORKDIR $APP_HOME\n'
	check_finds "2: warning: CMD looks like exec form (JSON) but is not valid JSON, so it is run as a shell command (JSON strings take double quotes)" \
		$'FROM alpine:3.20\nCMD [\'nginx\', \'-g\', \'daemon off;\']\n'
	check_finds "2: warning: ARG \`VERSION\` is declared but never used" \
		$'FROM alpine:3.20\nARG VERSION=1\nRUN true\n'
	check_finds "2: warning: COPY requires at least two arguments, but only one was provided: the destination could not be determined" \
		$'FROM alpine:3.20\nCOPY app\n'
	check_finds "2: warning: HEALTHCHECK: --interval: invalid duration \`30\`" \
		$'FROM alpine:3.20\nHEALTHCHECK --interval=30 CMD true\n'
	check_finds "1: warning: FROM alpine has no tag: the build takes whatever \`latest\` is at the time (pin a tag or a digest)" \
		$'FROM alpine\n'
}

@test "dockerfile check: several findings, sorted by line" {
	printf 'ARG UNUSED\nFROM debian\nRUNN x\nUSER $WHO\n' >"$TEST_TMP/Dockerfile"
	cd "$TEST_TMP"
	run "$BERTH" dockerfile check
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "Dockerfile:1: warning: ARG \`UNUSED\`"* ]]
	[[ "${lines[1]}" == "Dockerfile:2: warning: FROM debian has no tag"* ]]
	[[ "${lines[2]}" == "Dockerfile:3: warning: unknown instruction: RUNN"* ]]
	[[ "${lines[3]}" == "Dockerfile:4: warning: undefined variable \`WHO\`"* ]]
}
