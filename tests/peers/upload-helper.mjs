// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The official JS client's uploads, one per run, for
// tests/integration/test_upload.py (interop) and bench/upload/ (speed).
// Its result is one JSON object on the last line of stdout.
//
//   node tests/peers/upload-helper.mjs '{"op":"uploadFiles","hubUrl":…,"repo":"a/b",
//        "accessToken":"hf_…","local":"/abs/file-or-folder","pathInRepo":"x"}'
//       → {commit, seconds}
//   node tests/peers/upload-helper.mjs '{"op":"createRepo","hubUrl":…,"repo":"a/b",
//        "accessToken":"hf_…"}' → {url}
//
// Without xet (the emulator has none): preupload, LFS batch basic/multipart,
// commit, as the JS client does it. Exit status 0 on success; on failure 1
// with {"error": "..."} as the last line.

import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stat } from "node:fs/promises";

console.debug = (...args) => console.error(...args);
console.log = (...args) => console.error(...args);

const HERE = dirname(fileURLToPath(import.meta.url));

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + "\n");
}

async function main() {
	const a = JSON.parse(process.argv[2]);
	const hub = await import(join(HERE, "node_modules", "@huggingface", "hub", "dist", "index.mjs"));
	const repo = { type: a.type || "model", name: a.repo };
	const t0 = process.hrtime.bigint();
	const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;

	switch (a.op) {
		case "createRepo": {
			const r = await hub.createRepo({ repo, accessToken: a.accessToken, hubUrl: a.hubUrl });
			out({ url: r.repoUrl });
			return;
		}
		case "uploadFiles": {
			const st = await stat(a.local);
			const url = pathToFileURL(a.local);
			const path = a.pathInRepo ?? (st.isDirectory() ? "" : a.local.split("/").at(-1));
			const r = await hub.uploadFiles({
				repo,
				accessToken: a.accessToken,
				hubUrl: a.hubUrl,
				useXet: false,
				files: [{ path, content: url }],
				commitTitle: a.commitTitle ?? "Upload with the JS client",
			});
			out({ commit: r.commit.oid, url: r.commit.url, seconds: seconds() });
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
