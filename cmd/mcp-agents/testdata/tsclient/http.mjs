// Drives `mcp-agents serve --http` through the official TypeScript SDK's
// Streamable HTTP client with two agent tokens, and prints what it observed
// as one JSON object for http_e2e_test.go to judge.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const [url, tokenA, tokenB] = process.argv.slice(2);
const connect = async (token, name) => {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  }));
  return client;
};
const text = (r) => r.content.map((c) => c.text).join("");
const seen = {};

const a = await connect(tokenA, "tsclient-a");
const b = await connect(tokenB, "tsclient-b");
seen.serverName = a.getServerVersion().name;
seen.tools = (await a.listTools()).tools.map((t) => t.name).sort();
seen.prompts = (await a.listPrompts()).prompts.length;
const prompt = await a.getPrompt({ name: "database.postgres", arguments: { task: "tune the orders query" } });
seen.promptHasTask = prompt.messages[0].content.text.includes("tune the orders query");
seen.catalogEntries = JSON.parse((await a.readResource({ uri: "agents://catalog" })).contents[0].text).length;

const inbox = "flags://inbox/database.postgres";
const updated = new Promise((resolve) => {
  b.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri));
});
await b.subscribeResource({ uri: inbox });
try {
  await a.subscribeResource({ uri: inbox });
  seen.foreignSubscribeRefused = false;
} catch (e) {
  seen.foreignSubscribeRefused = String(e).includes("@frontend.react");
}

const args = {
  flag_type: "change",
  target_agent: "@database.postgres",
  change_description: "The orders API now returns amounts in minor units instead of decimal strings.",
  action_required: "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.",
};
const created = await a.callTool({ name: "create_flag", arguments: args });
seen.createdSource = created.structuredContent.flag.source_agent;
seen.updatedURI = await Promise.race([updated, new Promise((r) => setTimeout(() => r("timeout"), 10000))]);
const other = await a.callTool({ name: "create_flag", arguments: { ...args, source_agent: "@ops.containers" } });
seen.otherSourceRefused = other.isError === true && text(other).includes("@frontend.react");
const inboxB = await b.callTool({ name: "get_agent_flags", arguments: {} });
seen.inboxAgent = inboxB.structuredContent.agent;
seen.inboxCount = inboxB.structuredContent.flags.length;
const done = await b.callTool({ name: "complete_flag", arguments: { flag_id: created.structuredContent.flag.id, notes: "done" } });
seen.completedBy = done.structuredContent.flag.completed_by;

await a.close();
await b.close();
console.log(JSON.stringify(seen));
