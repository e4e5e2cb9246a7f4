#!/usr/bin/env bash
# The test command (README, .ci/run): set up if needed, then every test in release
# (one profile, so llama.cpp is compiled once; tests and measurements share it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export EDGEBENCH_TEST_MODELS_DIR="$PWD/models"
cargo test --release --locked "$@"
