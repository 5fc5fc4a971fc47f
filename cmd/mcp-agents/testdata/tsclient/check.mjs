// Drives mcp-agents through the official TypeScript SDK client, the one
// Claude Desktop and Claude Code build on, and prints what it observed as
// one JSON object for tsclient_test.go to judge. The SDK checks each
// tool's structuredContent against the tool's outputSchema by itself.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [binary, db] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command: binary,
  args: ["serve", "--db", db],
  env: process.env,
  stderr: "ignore",
});
const client = new Client({ name: "tsclient-check", version: "1.0.0" });
const seen = {};
const text = (r) => r.content.map((c) => c.text).join("");

await client.connect(transport);
seen.serverName = client.getServerVersion().name;
seen.hasInstructions = (client.getInstructions() ?? "").includes("search_agents");

seen.tools = (await client.listTools()).tools.map((t) => t.name).sort();

const search = await client.callTool({ name: "search_agents", arguments: { query: "kubernets helm charts", limit: 3 } });
seen.searchTop = search.structuredContent.results[0].name;
seen.searchTextMatches = JSON.stringify(JSON.parse(text(search))) === JSON.stringify(search.structuredContent);

const unknown = await client.callTool({ name: "get_agent", arguments: { name: "@ops.contaners" } });
seen.unknownAgentError = unknown.isError === true && text(unknown).includes("did you mean");

const created = await client.callTool({
  name: "create_flag",
  arguments: {
    flag_type: "new_feature",
    source_agent: "@backend.api",
    target_agent: "@OPS.Containers",
    change_description: "The API now exposes /healthz, which reports database connectivity for probes.",
    action_required: "Point the liveness and readiness probes of the api deployment at /healthz and drop the TCP check from the chart.",
  },
});
const id = created.structuredContent.flag.id;
seen.createdTarget = created.structuredContent.flag.target_agent;
const locked = await client.callTool({ name: "lock_flag", arguments: { flag_id: id, agent: "ops.containers" } });
seen.lockedBy = locked.structuredContent.flag.locked_by;
const again = await client.callTool({ name: "lock_flag", arguments: { flag_id: id, agent: "@backend.api" } });
seen.secondLockRefused = again.isError === true;
const done = await client.callTool({ name: "complete_flag", arguments: { flag_id: id, agent: "@ops.containers", notes: "Probes switched." } });
seen.completedStatus = done.structuredContent.flag.status;

const prompt = await client.getPrompt({ name: "ops.containers", arguments: { task: "shrink the image" } });
seen.promptHasTask = prompt.messages[0].content.text.includes("shrink the image");
seen.prompts = (await client.listPrompts()).prompts.length;

const catalog = await client.readResource({ uri: "agents://catalog" });
seen.catalogEntries = JSON.parse(catalog.contents[0].text).length;
const flagRes = await client.readResource({ uri: `flag://${id}` });
seen.flagResourceEvents = JSON.parse(flagRes.contents[0].text).events.length;

await client.ping();
try {
  await client.callTool({ name: "no_such_tool", arguments: {} });
  seen.unknownToolCode = 0;
} catch (err) {
  seen.unknownToolCode = err.code;
}
await client.close();
console.log(JSON.stringify(seen));
