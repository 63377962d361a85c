// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A small command-line front end to the official JS client (@huggingface/hub)
// for tests/integration/test_interop.py and bench/: one operation per run,
// its result as one JSON object on the last line of stdout.
//
//   node tests/peers/interop-helper.mjs '{"op":"scan","cacheDir":"/abs/cache"}'
//
// Operations (every one takes hubUrl where it talks to a Hub; the JS client
// ignores HF_ENDPOINT):
//   scan                   {cacheDir}
//       → {size, warnings:[text], repos:[{name, type, size, filesCount,
//          revisions:[{commitOid, size, refs, files:[{name, blob, size}]}]}]}
//   downloadFileToCacheDir {hubUrl, repo, type?, path, revision?, cacheDir, accessToken?}
//       → {path, seconds}
//   snapshotDownload       {hubUrl, repo, type?, revision?, cacheDir, accessToken?}
//       → {path, seconds}
//   downloadFile           {hubUrl, repo, type?, path, revision?, dest, accessToken?}
//       (streams the file to dest, as downloadFileToCacheDir does) → {path, bytes, seconds}
//
// Exit status 0 on success; on failure 1 with {"error": "..."} as the last line.

import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

// downloadFileToCacheDir logs "Downloading …" with console.debug, which goes
// to stdout: keep stdout for the result.
console.debug = (...args) => console.error(...args);
console.log = (...args) => console.error(...args);

const HERE = dirname(fileURLToPath(import.meta.url));

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + "\n");
}

function repoOf(a) {
	return { type: a.type || "model", name: a.repo };
}

async function main() {
	if (process.argv.length < 3) {
		throw new Error("usage: interop-helper.mjs '<json request>'");
	}
	const a = JSON.parse(process.argv[2]);
	const hub = await import(join(HERE, "node_modules", "@huggingface", "hub", "dist", "index.mjs"));
	const creds = a.accessToken ? { accessToken: a.accessToken } : {};
	const t0 = process.hrtime.bigint();
	const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;

	switch (a.op) {
		case "scan": {
			const scan = await hub.scanCacheDir(a.cacheDir);
			out({
				size: scan.size,
				warnings: scan.warnings.map((w) => String(w && w.message ? w.message : w)),
				repos: scan.repos.map((r) => ({
					name: r.id.name,
					type: r.id.type,
					size: r.size,
					filesCount: r.filesCount,
					revisions: r.revisions.map((v) => ({
						commitOid: v.commitOid,
						size: v.size,
						refs: [...v.refs].sort(),
						files: v.files.map((f) => ({ name: basename(f.path), blob: f.blob.path, size: f.blob.size })),
					})),
				})),
			});
			return;
		}
		case "downloadFileToCacheDir": {
			const p = await hub.downloadFileToCacheDir({
				repo: repoOf(a),
				path: a.path,
				revision: a.revision,
				hubUrl: a.hubUrl,
				cacheDir: a.cacheDir,
				...creds,
			});
			out({ path: p, seconds: seconds() });
			return;
		}
		case "snapshotDownload": {
			const p = await hub.snapshotDownload({
				repo: repoOf(a),
				revision: a.revision,
				hubUrl: a.hubUrl,
				cacheDir: a.cacheDir,
				...creds,
			});
			out({ path: p, seconds: seconds() });
			return;
		}
		case "downloadFile": {
			const blob = await hub.downloadFile({
				repo: repoOf(a),
				path: a.path,
				revision: a.revision,
				hubUrl: a.hubUrl,
				...creds,
			});
			if (!blob) {
				throw new Error(`${a.path}: not found`);
			}
			await pipeline(Readable.fromWeb(blob.stream()), createWriteStream(a.dest));
			out({ path: a.dest, bytes: blob.size, seconds: seconds() });
			return;
		}
		default:
			throw new Error(`unknown op ${a.op}`);
	}
}

try {
	await main();
} catch (e) {
	out({ error: String(e && e.stack ? e.stack : e) });
	process.exit(1);
}
