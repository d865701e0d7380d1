#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
load helpers

@test "berth version prints the version" {
	run "$BERTH" version
	[ "$status" -eq 0 ]
	[[ "$output" == "berth version "* ]]
}

@test "an unknown command is a one-line error with exit 125" {
	run "$BERTH" frobnicate
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"unknown command \`frobnicate\`"* ]]
}
