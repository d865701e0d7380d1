#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: the main job on a real image.  Grows with each component.
set -euo pipefail
cd "$(dirname "$0")/.."
build/src/cli/berth version
