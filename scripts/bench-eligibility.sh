#!/usr/bin/env bash
# Benchmark of issue "Calls for projects": eligibility and ranking of a 2,000-project call.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --profile dist --quiet -p poles-core --example bench_eligibility
