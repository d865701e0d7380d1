#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Hostile and malformed input found by trying to break berth: each case
# here once failed. Errors are one line naming what was wrong, and
# nothing is left behind.
load container-common
bats_require_minimum_version 1.5.0

setup() {
	container_setup
	load_busybox
}

teardown() {
	container_teardown
}

# $output is one line containing $1.
one_line() {
	[ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output"; return 1; }
	[[ "$output" == *"$1"* ]] || { echo "no '$1' in: $output"; return 1; }
}

@test "tag: a bad target reference is a format error, not an errno" {
	local t
	for t in UPPER:x x:../../y ../../etc; do
		run B tag $IMG "$t"
		[ "$status" -ne 0 ]
		one_line "invalid reference format"
		[[ "$output" != *"Invalid argument"* ]]
	done
	run B images -q
	[ "${#lines[@]}" -eq 1 ]
}
