// Drives mcp-agents while another process holds the database's write lock
// (tsclient_test.go takes it before starting this script): a create_flag
// waits on the lock, the client gives up on it after a moment, which makes
// the SDK send notifications/cancelled, and the session must stay
// responsive. Prints what it observed as one JSON object.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [binary, db] = process.argv.slice(2);
const transport = new StdioClientTransport({ command: binary, args: ["serve", "--db", db], env: process.env, stderr: "ignore" });
const client = new Client({ name: "tsclient-cancel", version: "1.0.0" });
await client.connect(transport);
await client.listTools(); // the SDK learns the output schemas

const seen = { clientErrors: [] };
// An answer to the cancelled request would land here ("Received a response
// for an unknown message ID"): the server must not send one.
client.onerror = (err) => seen.clientErrors.push(String(err?.message ?? err));
const started = Date.now();
const abort = new AbortController();
setTimeout(() => abort.abort("gave up"), 300);
try {
  await client.callTool(
    {
      name: "create_flag",
      arguments: {
        flag_type: "new_feature",
        source_agent: "@backend.api",
        change_description: "The API now exposes /healthz, which reports database connectivity for probes.",
        action_required: "Point the liveness and readiness probes of the api deployment at /healthz and drop the TCP check from the chart.",
      },
    },
    undefined,
    { signal: abort.signal },
  );
  seen.createOutcome = "answered";
} catch (err) {
  seen.createOutcome = "aborted";
}
seen.abortedAfterMs = Date.now() - started;

const pingStart = Date.now();
await client.ping();
seen.pingMs = Date.now() - pingStart;
const search = await client.callTool({ name: "search_agents", arguments: { query: "postgres", limit: 1 } });
seen.searchWorks = search.structuredContent.results.length === 1;
// close() waits up to 2 s for the server to exit; a server still waiting
// on the lock for the cancelled request would linger until its busy timeout.
const closeStart = Date.now();
await client.close();
seen.closeMs = Date.now() - closeStart;
console.log(JSON.stringify(seen));
