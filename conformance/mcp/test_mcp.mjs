// Conformance: the official MCP server `alibabacloud-devops-mcp-server` (pinned in package.json)
// against a live codeport. It spawns the package's own entry point over stdio, speaks MCP
// JSON-RPC to it exactly as an AI assistant would (initialize, tools/list, tools/call), and checks
// both that no tool reports an error and that every answer carries the right data.
//
// Environment:
//   CODEPORT_URL    base URL of the running codeport, e.g. http://127.0.0.1:8080
//   CODEPORT_TOKEN  a personal access token (pt-…)
//   CODEPORT_ORG    the organization id (bootstrap.json "organizationId")
//   EDITION         region (default; YUNXIAO_EDITION is left unset so the MCP's own detection
//                   picks region for a non-aliyun base URL) or central (YUNXIAO_EDITION=central)
//   MCP_CALL_TIMEOUT_MS  per-call timeout, default 30000
//
// Prints one line per tool call and exits non-zero on the first failure.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";

const here = path.dirname(fileURLToPath(import.meta.url));
const URL_ = need("CODEPORT_URL").replace(/\/+$/, "");
const TOKEN = need("CODEPORT_TOKEN");
const ORG = need("CODEPORT_ORG");
const EDITION = (process.env.EDITION || "region").toLowerCase();
const TIMEOUT_MS = Number(process.env.MCP_CALL_TIMEOUT_MS || 30000);
if (!["region", "central"].includes(EDITION)) die(`EDITION must be region or central, not ${EDITION}`);

function need(name) {
  const v = process.env[name];
  if (!v) die(`${name} is required`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The MCP server process and a minimal JSON-RPC-over-stdio client (newline-delimited JSON).

const pkgDir = path.join(here, "node_modules", "alibabacloud-devops-mcp-server");
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const entry = path.join(pkgDir, pkg.bin["alibabacloud-devops-mcp-server"]);

// A clean environment: nothing from the caller's shell (MCP_TRANSPORT, DEVOPS_TOOLSETS, LOG_DEST,
// YUNXIAO_* …) may change how the MCP behaves.
const childEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME || here,
  YUNXIAO_API_BASE_URL: URL_,
  YUNXIAO_ACCESS_TOKEN: TOKEN,
  LOG_LEVEL: "info", // one line per outgoing request (method, url, status) on stderr; token is redacted
};
if (process.env.NODE_EXTRA_CA_CERTS) childEnv.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
if (EDITION === "central") childEnv.YUNXIAO_EDITION = "central";

// cwd is a fresh empty directory: the MCP calls dotenv, which would read a stray ./.env.
const cwd = fs.mkdtempSync(path.join(process.env.TMPDIR || "/tmp", "codeport-mcp-"));
const child = spawn(process.execPath, [entry], { cwd, env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
let stderrTail = [];
createInterface({ input: child.stderr }).on("line", (l) => {
  stderrTail.push(l);
  if (stderrTail.length > 40) stderrTail.shift();
});
let childExited = null;
child.on("exit", (code, sig) => {
  childExited = { code, sig };
  for (const [, p] of pending) p.reject(new Error(`MCP server exited (code ${code}, signal ${sig})`));
  pending.clear();
});
const cleanup = () => {
  if (!childExited) child.kill("SIGKILL");
  fs.rmSync(cwd, { recursive: true, force: true });
};
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => process.exit(130));

const pending = new Map();
let nextId = 1;
createInterface({ input: child.stdout }).on("line", (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    fail("stdout", `non-JSON line on the MCP's stdout: ${line.slice(0, 300)}`);
  }
  if (msg.id !== undefined && pending.has(msg.id) && (msg.result !== undefined || msg.error !== undefined)) {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    p.resolve(msg);
  } else if (msg.method && msg.id !== undefined) {
    // A server-to-client request (ping etc.): answer with an empty result.
    send({ jsonrpc: "2.0", id: msg.id, result: {} });
  }
});

function send(obj) {
  child.stdin.write(JSON.stringify(obj) + "\n");
}

function rpc(method, params) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    if (childExited) return reject(new Error(`MCP server exited (code ${childExited.code})`));
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${method}`));
    }, TIMEOUT_MS);
    pending.set(id, {
      resolve: (m) => (clearTimeout(timer), resolve(m)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    });
    send({ jsonrpc: "2.0", id, method, params });
  });
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function die(msg) {
  console.error(msg);
  process.exit(2);
}

function fail(label, detail) {
  console.log(`FAIL ${label}`);
  console.log(indent(String(detail)));
  if (stderrTail.length) {
    console.log("  --- MCP server stderr (last lines) ---");
    console.log(indent(stderrTail.join("\n")));
  }
  process.exit(1);
}

function indent(s) {
  return s
    .split("\n")
    .map((l) => "    " + l)
    .join("\n");
}

function check(label, cond, detail) {
  if (!cond) fail(label, typeof detail === "function" ? detail() : detail);
}

const show = (v) => JSON.stringify(v, null, 2).slice(0, 4000);

// Calls a tool and expects success. Returns the parsed JSON of its text content.
// `verify(data)` returns an error string (or throws) when the data is wrong.
async function call(tool, args, verify, label = tool) {
  const t0 = Date.now();
  let msg;
  try {
    msg = await rpc("tools/call", { name: tool, arguments: args });
  } catch (e) {
    fail(label, e.message);
  }
  // Version 0.3.64 uses the low-level SDK Server: a thrown tool error becomes a JSON-RPC error.
  // A result with isError: true would be the high-level SDK's form; both are failures here.
  if (msg.error) fail(label, `tool error (JSON-RPC ${msg.error.code}): ${msg.error.message}`);
  const res = msg.result || {};
  const text = (res.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  if (res.isError === true) fail(label, `tool reported isError: ${text}`);
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    fail(label, `tool text is not JSON: ${text.slice(0, 2000)}`);
  }
  let problem;
  try {
    problem = verify ? verify(data) : undefined;
  } catch (e) {
    problem = `${e.message}`;
  }
  if (problem) fail(label, `${problem}\n  response: ${show(data)}`);
  console.log(`ok   ${label} (${Date.now() - t0} ms)`);
  return data;
}

// Calls a tool and expects it to fail (JSON-RPC error or isError). Returns the error text.
async function callFails(tool, args, label, expectText) {
  const t0 = Date.now();
  let msg;
  try {
    msg = await rpc("tools/call", { name: tool, arguments: args });
  } catch (e) {
    fail(label, e.message);
  }
  let text;
  if (msg.error) text = msg.error.message;
  else if (msg.result && msg.result.isError === true) text = (msg.result.content || []).map((c) => c.text).join("\n");
  else fail(label, `expected an error, got: ${show(msg.result)}`);
  if (expectText && !expectText.test(text)) fail(label, `error text does not match ${expectText}: ${text}`);
  console.log(`ok   ${label} (fails as expected: ${text.split("\n")[0].slice(0, 120)}) (${Date.now() - t0} ms)`);
  return text;
}

const SHA = /^[0-9a-f]{40}$/;
const stripSlash = (p) => (typeof p === "string" && p.startsWith("/") ? p.slice(1) : p);
function blobText(b) {
  if (b.encoding === "base64") return Buffer.from(b.content || "", "base64").toString("utf8");
  return b.content;
}

// ---------------------------------------------------------------------------------------------
// The test.

const TOOLS = [
  "get_current_user", "get_user_organizations", "create_repository", "get_repository",
  "list_repositories", "list_branches", "create_branch", "get_branch", "delete_branch",
  "create_file", "get_file_blobs", "update_file", "list_files", "delete_file", "compare",
  "list_commits", "get_commit",
];

async function main() {
  console.log(`== MCP ${pkg.name}@${pkg.version} (${EDITION} edition) against ${URL_}`);

  // Handshake.
  const init = await rpc("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "codeport-conformance", version: "0" },
  }).catch((e) => fail("initialize", e.message));
  check("initialize", !init.error && init.result && init.result.serverInfo, () => show(init));
  check("initialize", init.result.serverInfo.name === "alibabacloud-devops-mcp-server", () => show(init.result));
  check("initialize", init.result.capabilities && init.result.capabilities.tools, () => show(init.result));
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  console.log(`ok   initialize (server ${init.result.serverInfo.name} ${init.result.serverInfo.version}, protocol ${init.result.protocolVersion})`);

  let tools = [];
  let cursor;
  do {
    const r = await rpc("tools/list", cursor ? { cursor } : {}).catch((e) => fail("tools/list", e.message));
    check("tools/list", !r.error && r.result && Array.isArray(r.result.tools), () => show(r));
    tools = tools.concat(r.result.tools);
    cursor = r.result.nextCursor;
  } while (cursor);
  const names = new Set(tools.map((t) => t.name));
  const missing = TOOLS.filter((t) => !names.has(t));
  check("tools/list", missing.length === 0, `missing tools: ${missing.join(", ")}`);
  console.log(`ok   tools/list (${tools.length} tools, all ${TOOLS.length} under test present)`);

  const org = { organizationId: ORG };
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

  // --- Platform.
  await call("get_current_user", {}, (u) => {
    if (typeof u.id !== "string" || !u.id) return "id must be a non-empty string";
    if (u.lastOrganization !== ORG) return `lastOrganization should be ${ORG}`;
    if (!u.username && !u.name) return "neither username nor name set";
  });
  await call("get_user_organizations", {}, (orgs) => {
    if (!Array.isArray(orgs) || orgs.length === 0) return "expected a non-empty array";
    if (!orgs.some((o) => o.id === ORG)) return `organization ${ORG} not in the list`;
  });

  // --- Repositories.
  const repoPath = `mcp-${EDITION}-${stamp}`;
  const repoName = `MCP ${EDITION} ${stamp}`;
  const repo = await call(
    "create_repository",
    { ...org, name: repoName, path: repoPath, description: "created by the MCP conformance test", visibility: "private", readMeType: "USER_GUIDE" },
    (r) => {
      if (!Number.isInteger(r.id) || r.id <= 0) return "id must be a positive integer";
      if (r.path !== repoPath) return `path should be ${repoPath}`;
      if (r.name !== repoName) return `name should be ${repoName}`;
      if (typeof r.webUrl !== "string" || !/^https?:\/\//.test(r.webUrl)) return "webUrl should be an absolute URL";
    },
  );
  const rid = repo.id;
  const repo_ = { ...org, repositoryId: rid };
  await call("get_repository", repo_, (r) => {
    if (r.id !== rid) return `id should be ${rid}`;
    if (r.path !== repoPath || r.name !== repoName) return "path/name differ from create_repository";
    if (r.description !== "created by the MCP conformance test") return "description not kept";
  });
  // By full path "org/repo": the MCP encodes it to org%2Frepo in the path segment.
  await call("get_repository", { ...org, repositoryId: `${ORG}/${repoPath}` }, (r) => {
    if (r.id !== rid) return `id should be ${rid}`;
  }, "get_repository (by org/path)");
  if (EDITION === "central") {
    // organizationId "" makes the MCP look the organization up via /platform/user lastOrganization.
    await call("get_repository", { organizationId: "", repositoryId: rid }, (r) => {
      if (r.id !== rid) return `id should be ${rid}`;
    }, "get_repository (organization from lastOrganization)");
  }
  await call("list_repositories", { ...org, search: repoPath }, (list) => {
    if (!Array.isArray(list)) return "expected an array";
    const mine = list.find((r) => r.id === rid);
    if (!mine) return `repository ${rid} not listed when searching ${repoPath}`;
    if (mine.path !== repoPath) return "listed path differs";
    if (!list.every((r) => Number.isInteger(r.id))) return "every id must be an integer";
  });
  await call("list_repositories", { ...org, page: 1, perPage: 100, orderBy: "created_at", sort: "desc" }, (list) => {
    if (!Array.isArray(list) || !list.some((r) => r.id === rid)) return `repository ${rid} not on the newest-first first page`;
  }, "list_repositories (page 1, created_at desc)");

  // --- Branches.
  let defaultBranch;
  let defaultHead;
  await call("list_branches", repo_, (list) => {
    if (!Array.isArray(list) || list.length !== 1) return "a USER_GUIDE repository has exactly one branch";
    const d = list.filter((b) => b.defaultBranch === true);
    if (d.length !== 1) return "exactly one branch must be the default";
    defaultBranch = d[0].name;
    if (!defaultBranch) return "default branch has no name";
    if (!d[0].commit || !SHA.test(d[0].commit.id || "")) return "default branch needs commit.id (40 hex)";
    defaultHead = d[0].commit.id;
  });
  await call("list_files", { ...repo_ }, (list) => {
    if (!Array.isArray(list)) return "expected an array";
    const readme = list.find((f) => f.path === "README.md");
    if (!readme || readme.type !== "blob") return "README.md (blob) should be on the default branch";
  }, "list_files (default branch root)");
  await call("get_file_blobs", { ...repo_, filePath: "README.md", ref: defaultBranch }, (b) => {
    if (!blobText(b)) return "README.md should not be empty";
  }, "get_file_blobs (README.md)");

  const BR = "feature/mcp";
  await call("create_branch", { ...repo_, branch: BR, ref: defaultBranch }, (b) => {
    if (b.name !== BR) return `name should be ${BR}`;
    if (b.defaultBranch === true) return "a new branch is not the default";
    if (!b.commit || b.commit.id !== defaultHead) return `commit.id should be the ${defaultBranch} head ${defaultHead}`;
  });
  await call("get_branch", { ...repo_, branchName: BR }, (b) => {
    if (b.name !== BR) return `name should be ${BR}`;
    if (!b.commit || b.commit.id !== defaultHead) return "commit.id should be the default head";
  });
  await call("list_branches", { ...repo_, sort: "name_asc" }, (list) => {
    const n = (list || []).map((b) => b.name);
    if (!n.includes(BR) || !n.includes(defaultBranch)) return `expected ${defaultBranch} and ${BR}`;
    const sorted = [...n].sort();
    if (JSON.stringify(n) !== JSON.stringify(sorted)) return "name_asc order not respected";
  }, "list_branches (after create_branch)");

  // --- Files, on the slashed branch, in a directory.
  const FILE = "src/main/hello.txt";
  const C1 = `hello from the MCP (${EDITION})\n`;
  const C2 = `hello again from the MCP (${EDITION})\nsecond line\n`;
  const M1 = `mcp: add ${FILE}`;
  const M2 = `mcp: update ${FILE}`;
  await call("create_file", { ...repo_, filePath: FILE, content: C1, commitMessage: M1, branch: BR }, (r) => {
    if (stripSlash(r.filePath) !== FILE) return `filePath should be ${FILE}`;
    if (r.branch !== BR) return `branch should be ${BR}`;
    if (r.newOid !== undefined && !SHA.test(r.newOid)) return "newOid should be a 40-hex object id";
  });
  await call("get_file_blobs", { ...repo_, filePath: FILE, ref: BR }, (b) => {
    if (blobText(b) !== C1) return "content differs from what create_file wrote";
    if (b.size !== undefined && b.size !== String(Buffer.byteLength(C1))) return `size should be "${Buffer.byteLength(C1)}"`;
    if (b.fileName !== undefined && b.fileName !== "hello.txt") return "fileName should be hello.txt";
    if (b.filePath !== undefined && stripSlash(b.filePath) !== FILE) return `filePath should be ${FILE}`;
  });
  await callFails("get_file_blobs", { ...repo_, filePath: FILE, ref: defaultBranch }, "get_file_blobs (not on the default branch)");
  await call("update_file", { ...repo_, filePath: FILE, content: C2, commitMessage: M2, branch: BR }, (r) => {
    if (stripSlash(r.filePath) !== FILE) return `filePath should be ${FILE}`;
    if (r.branch !== BR) return `branch should be ${BR}`;
  });
  await call("get_file_blobs", { ...repo_, filePath: FILE, ref: BR }, (b) => {
    if (blobText(b) !== C2) return "content did not change after update_file";
  }, "get_file_blobs (after update_file)");
  await call("list_files", { ...repo_, path: "src/main", ref: BR }, (list) => {
    if (!Array.isArray(list)) return "expected an array";
    const f = list.find((x) => x.name === "hello.txt");
    if (!f) return "hello.txt not listed under src/main";
    if (f.type !== "blob") return "hello.txt should have type blob";
    if (f.path !== FILE) return `path should be the full path ${FILE}`;
    if (f.size !== undefined && f.size !== Buffer.byteLength(C2)) return `size should be ${Buffer.byteLength(C2)}`;
  }, "list_files (src/main on feature/mcp)");
  await call("list_files", { ...repo_, ref: BR }, (list) => {
    const src = (list || []).find((x) => x.name === "src");
    if (!src || src.type !== "tree") return "src should be listed as a tree at the root";
    if (list.some((x) => x.path === FILE)) return "DIRECT listing must not descend into src/";
  }, "list_files (root of feature/mcp)");

  // --- Compare and commits.
  await call("compare", { ...repo_, from: defaultBranch, to: BR }, (c) => {
    if (!Array.isArray(c.commits) || c.commits.length < 1) return "expected at least one commit";
    if (c.commits_count !== undefined && c.commits_count !== c.commits.length) return "commits_count disagrees with commits";
    if (!Array.isArray(c.diffs)) return "expected diffs";
    const d = c.diffs.find((x) => x && (x.newPath === FILE || stripSlash(x.newPath) === FILE));
    if (!d) return `no diff for ${FILE}`;
    if (d.newFile !== undefined && d.newFile !== true) return "the diff should be a new file";
    if (typeof d.diff === "string" && !d.diff.includes("second line")) return "the diff text should show the file content";
  });
  let commits;
  await call("list_commits", { ...repo_, refName: BR }, (list) => {
    commits = list;
    if (!Array.isArray(list) || list.length < 3) return "expected ≥3 commits (README, create, update)";
    if ((list[0].message || "").trim() !== M2) return `newest first: [0] should be "${M2}"`;
    if ((list[1].message || "").trim() !== M1) return `[1] should be the create_file commit "${M1}"`;
    if (list[0].title !== undefined && list[0].title !== M2) return "title should be the first line";
    if (!list.every((c) => SHA.test(c.id || ""))) return "every id must be 40 hex";
    if (!(list[0].parentIds || []).includes(list[1].id)) return "[0].parentIds should contain [1].id";
    if (list[list.length - 1].id !== defaultHead) return `oldest should be the ${defaultBranch} head`;
  });
  await call("get_commit", { ...repo_, sha: commits[1].id }, (c) => {
    if (c.id !== commits[1].id) return `id should be ${commits[1].id}`;
    if ((c.message || "").trim() !== M1) return `message should be "${M1}"`;
    if (c.shortId !== undefined && c.shortId !== null && !commits[1].id.startsWith(c.shortId)) return "shortId should prefix id";
  });

  await call("delete_file", { ...repo_, filePath: FILE, commitMessage: `mcp: delete ${FILE}`, branch: BR });
  await callFails("get_file_blobs", { ...repo_, filePath: FILE, ref: BR }, "get_file_blobs (after delete_file)");
  await call("list_commits", { ...repo_, refName: BR, perPage: 1 }, (list) => {
    if (!Array.isArray(list) || list.length !== 1) return "perPage=1 should give one commit";
    if ((list[0].message || "").trim() !== `mcp: delete ${FILE}`) return "newest should be the delete_file commit";
  }, "list_commits (perPage 1, after delete_file)");

  // --- Delete the branch.
  await call("delete_branch", { ...repo_, branchName: BR }, (r) => {
    // The MCP answers with the (encoded) name it sent, not the server's body.
    if (decodeURIComponent(r.branchName || "") !== BR) return `branchName should be ${BR}`;
  });
  await callFails("get_branch", { ...repo_, branchName: BR }, "get_branch (after delete_branch)", /not found|404/i);
  await call("list_branches", repo_, (list) => {
    const n = (list || []).map((b) => b.name);
    if (n.includes(BR)) return `${BR} still listed`;
    if (!n.includes(defaultBranch)) return `${defaultBranch} missing`;
  }, "list_branches (after delete_branch)");

  console.log(`== MCP conformance (${EDITION}) passed`);
}

main().then(
  () => process.exit(0),
  (e) => fail("unexpected", e && e.stack ? e.stack : String(e)),
);
