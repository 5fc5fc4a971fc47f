#!/usr/bin/env bash
# Builds mcp-agents and the no-op baseline, then runs stdiobench from the
# repository root. Extra arguments go to stdiobench, e.g.
#   bench/run.sh -rounds 50 -calls 2000
#   bench/run.sh -json > bench.json
#   bench/run.sh -only startup,memory
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="$(mktemp -d "${TMPDIR:-/tmp}/mcp-agents-bench.XXXXXX")"
trap 'rm -rf "$out"' EXIT

# Both servers are built the way releases are (.goreleaser.yaml), so the
# comparison is between the binaries people run.
release=(-trimpath -ldflags "-s -w")
go build "${release[@]}" -o "$out/mcp-agents" ./cmd/mcp-agents
go build "${release[@]}" -o "$out/noop" ./bench/noop
go build -o "$out/stdiobench" ./bench/stdiobench

# Without CORPUS, stdiobench finds ../shared/corpus from the repository root.
corpus=()
if [[ -n "${CORPUS:-}" ]]; then
	corpus=(-corpus "$CORPUS")
fi
"$out/stdiobench" -bin "$out/mcp-agents" -noop "$out/noop" "${corpus[@]}" "$@"
