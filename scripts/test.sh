#!/usr/bin/env bash
# The test command (README, .ci/run): set up if needed, then every test in release
# (one profile, so llama.cpp is compiled once; tests and measurements share it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export EDGEBENCH_TEST_MODELS_DIR="$PWD/models"
# llama-server from the same llama.cpp, for tests/served_llama_server.rs (cached; ~10 min the first time).
cargo fetch --locked -q
EDGEBENCH_LLAMA_SERVER=$(scripts/llama-server.sh)
export EDGEBENCH_LLAMA_SERVER
cargo test --release --locked "$@"
