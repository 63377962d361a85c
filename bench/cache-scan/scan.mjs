// SPDX-License-Identifier: LGPL-2.1-or-later
// Times the official JS client's scanCacheDir (@huggingface/hub, installed in
// tests/peers by `npm ci`) on a cache: RUNS scans in this process after one
// warm-up, wall clock of each, as JSON on stdout.
//
//   node scan.mjs DIR [RUNS]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const peers = path.join(here, "..", "..", "tests", "peers");
const require = createRequire(path.join(peers, "package.json"));
const hub = await import(require.resolve("@huggingface/hub"));

const dir = process.argv[2];
const runs = Number(process.argv[3] || 3);
let result = await hub.scanCacheDir(dir); // warm-up (and the page cache)
const seconds = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  result = await hub.scanCacheDir(dir);
  seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const files = result.repos.reduce((n, r) => n + r.filesCount, 0);
console.log(JSON.stringify({
  seconds,
  repos: result.repos.length,
  files,
  size: result.size,
  warnings: result.warnings.length,
  version: JSON.parse(readFileSync(path.join(peers, "node_modules", "@huggingface", "hub",
                                            "package.json"))).version,
}));
