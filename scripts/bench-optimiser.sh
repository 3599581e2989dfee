#!/usr/bin/env bash
# Benchmark of issue "Funding and incentives engine": the allocation optimiser on 1,000
# projects x 25 funders beside rank-order funding. Optional arguments: solver budget (s),
# projects, funders.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --profile dist --quiet -p poles-core --example bench_optimiser -- "${1:-30}" "${2:-1000}" "${3:-25}"
