// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Fidelity suite: the official JS client (@huggingface/hub, pinned in
// package.json) against the hfhub Hub emulator. What the real client accepts
// from the emulator, hfhub must accept too; what it sends is what the
// emulator must understand.
//
// Run from the repository root, after `npm ci --prefix tests/peers`:
//   node --test --test-reporter=tap tests/peers/
// The emulator is started here on --port 0 (interpreter: $HUBEMU_PYTHON,
// default python3; script: $HUBEMU, default ../hubemu/hubemu.py).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, readlink, readdir, rm, lstat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// A clear failure (not a crash of the whole file) when `npm ci` was not run.
let hub;
let importError;
try {
	hub = await import("@huggingface/hub");
} catch (e) {
	importError = e;
}
if (importError) {
	test("@huggingface/hub is installed (run `npm ci --prefix tests/peers`)", () => {
		throw importError;
	});
}

const HERE = dirname(fileURLToPath(import.meta.url));
const HUBEMU = process.env.HUBEMU || join(HERE, "..", "hubemu", "hubemu.py");
const PYTHON = process.env.HUBEMU_PYTHON || "python3";
const ALICE = "hf_alice_write_token";
const BOB = "hf_bob_read_token";
const REPO = { type: "model", name: "alice/js-peer" };
const MiB = 1024 * 1024;

let emu;
let hubUrl;
let cdnUrl;
let cacheDir;
let commitOid;
const config = new TextEncoder().encode('{"architectures": ["JsPeer"], "n": 1}\n');
const weights = randomBytes(3 * MiB + 12345); // > 1 MiB chunk: multipart, 4 parts
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const gitOid = (b) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");
const pointer = (oid, size) =>
	Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`);

function startEmulator() {
	return new Promise((resolve, reject) => {
		const proc = spawn(PYTHON, [HUBEMU, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
		let buf = "";
		const timer = setTimeout(() => reject(new Error("hubemu did not start in 20 s")), 20_000);
		proc.on("error", reject);
		proc.on("exit", (code) => reject(new Error(`hubemu exited early (${code})`)));
		proc.stdout.on("data", (chunk) => {
			buf += chunk;
			const main = /^hubemu listening on (http:\/\/\S+)$/m.exec(buf);
			const cdn = /^hubemu cdn on (http:\/\/\S+)$/m.exec(buf);
			if (main && cdn) {
				clearTimeout(timer);
				proc.removeAllListeners("exit");
				resolve({ proc, main: main[1], cdn: cdn[1] });
			}
		});
	});
}

async function control(method, what, body) {
	const res = await fetch(`${hubUrl}/_emu/${what}`, {
		method,
		headers: { "Content-Type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	assert.equal(res.status, 200, `/_emu/${what}: ${res.status}`);
	return res.json();
}

async function rejectsWith(promise, { status, message }) {
	await assert.rejects(promise, (err) => {
		assert.ok(err instanceof hub.HubApiError, `expected HubApiError, got ${err}`);
		assert.equal(err.statusCode, status);
		if (message) {
			assert.ok(err.message.startsWith(message), `message: ${err.message}`);
		}
		return true;
	});
}

// Every case is bounded: a hang fails the case instead of stalling CI.
const test_ = (name, fn) => (importError ? test.skip : test)(name, { timeout: 30_000 }, fn);

before(async () => {
	if (importError) {
		return;
	}
	emu = await startEmulator();
	hubUrl = emu.main;
	cdnUrl = emu.cdn;
	cacheDir = await mkdtemp(join(tmpdir(), "hubemu-peer-cache-"));
	// Force multipart with a small file: 1 MiB parts from 1 MiB up.
	await control("POST", "config", { multipart_threshold: MiB, multipart_chunk_size: MiB });
	await control("POST", "seed", [
		{ id: "alice/private-model", private: true, files: { "secret.txt": "s3cr3t\n" } },
		{ id: "acme/gated-model", gated: "manual", files: { "config.json": "{}\n" } },
		...[0, 1, 2, 3, 4].map((i) => ({ id: `acme/jslist-${i}`, likes: i, files: { "x.txt": `${i}` } })),
	]);
});

after(async () => {
	if (emu) {
		const exited = new Promise((r) => emu.proc.on("exit", r));
		emu.proc.kill("SIGTERM");
		await exited;
	}
	if (cacheDir) {
		await rm(cacheDir, { recursive: true, force: true });
	}
});

test_("createRepo returns the Hub's url and id", async () => {
	const out = await hub.createRepo({ repo: REPO, accessToken: ALICE, hubUrl });
	assert.equal(out.repoUrl, `${hubUrl}/alice/js-peer`);
	assert.match(out.id, /^[0-9a-f]{24}$/);
	await rejectsWith(hub.createRepo({ repo: REPO, accessToken: ALICE, hubUrl }), {
		status: 409,
		message: "You already created this model repo",
	});
});

test_("uploadFiles: a regular file and a multipart LFS file in one commit, without xet", async () => {
	await control("DELETE", "counters");
	const out = await hub.uploadFiles({
		repo: REPO,
		accessToken: ALICE,
		hubUrl,
		useXet: false,
		files: [
			{ path: "config.json", content: new Blob([config]) },
			{ path: "model.safetensors", content: new Blob([weights]) },
		],
		commitTitle: "Add config and weights",
	});
	commitOid = out.commit.oid;
	assert.match(commitOid, /^[0-9a-f]{40}$/);
	assert.equal(out.commit.url, `${hubUrl}/alice/js-peer/commit/${commitOid}`);
	assert.equal(out.hookOutput, "");

	const c = await control("GET", "counters");
	const main = c.hosts.main.paths;
	assert.equal(main["/api/models/alice/js-peer/preupload/main"].requests, 1);
	assert.equal(main["/alice/js-peer.git/info/lfs/objects/batch"].requests, 1);
	assert.equal(main["/api/complete_multipart"].methods.POST, 1, "multipart completion");
	assert.equal(main["/api/models/alice/js-peer/commit/main"].requests, 1);
	const parts = Object.entries(c.hosts.cdn.paths).filter(([p]) => p.startsWith("/lfs-upload/"));
	assert.equal(parts.length, 4, "ceil(size / 1 MiB) parts");
	assert.deepEqual(
		parts.map(([, rec]) => rec.methods),
		[{ PUT: 1 }, { PUT: 1 }, { PUT: 1 }, { PUT: 1 }],
	);
	assert.equal(c.hosts.cdn.authorization_count, 0, "no Hub token sent with part uploads");
	assert.equal(main["/api/complete_multipart"].authorization_count, 0, "completion without auth");
	assert.equal(
		Object.keys(main).some((p) => p.includes("xet")),
		false,
		"the client never asked for a xet token",
	);
});

test_("listFiles: entries, oids and LFS metadata", async () => {
	const entries = [];
	for await (const e of hub.listFiles({ repo: REPO, recursive: true, hubUrl, accessToken: ALICE })) {
		entries.push(e);
	}
	assert.deepEqual(
		entries.map((e) => [e.type, e.path]),
		[
			["file", ".gitattributes"],
			["file", "config.json"],
			["file", "model.safetensors"],
		],
	);
	const byPath = Object.fromEntries(entries.map((e) => [e.path, e]));
	assert.equal(byPath["config.json"].oid, gitOid(config));
	assert.equal(byPath["config.json"].size, config.length);
	assert.equal(byPath["config.json"].lfs, undefined);
	const ptr = pointer(sha256(weights), weights.length);
	assert.deepEqual(byPath["model.safetensors"].lfs, {
		oid: sha256(weights),
		size: weights.length,
		pointerSize: ptr.length,
	});
	assert.equal(byPath["model.safetensors"].oid, gitOid(ptr));
	assert.equal(byPath["model.safetensors"].size, weights.length);
	assert.equal(byPath["model.safetensors"].xetHash, undefined);
});

test_("modelInfo (revision HEAD) and repoExists", async () => {
	const info = await hub.modelInfo({
		name: REPO.name,
		hubUrl,
		accessToken: ALICE,
		additionalFields: ["sha", "author", "filePaths"],
	});
	assert.equal(info.name, "alice/js-peer");
	assert.match(info.id, /^[0-9a-f]{24}$/);
	assert.equal(info.sha, commitOid);
	assert.equal(info.author, "alice");
	assert.equal(info.private, false);
	assert.equal(info.gated, false);
	assert.ok(info.updatedAt instanceof Date && !Number.isNaN(info.updatedAt.getTime()));
	assert.deepEqual(info.filePaths, [".gitattributes", "config.json", "model.safetensors"]);
	assert.equal(await hub.repoExists({ repo: REPO, hubUrl }), true);
	assert.equal(await hub.repoExists({ repo: { type: "model", name: "alice/nope" }, hubUrl }), false);
});

test_("downloadFile: regular from the Hub, LFS through the CDN redirect; bytes equal", async () => {
	await control("DELETE", "counters");
	const cfg = await hub.downloadFile({ repo: REPO, path: "config.json", hubUrl, accessToken: ALICE });
	assert.deepEqual(new Uint8Array(await cfg.arrayBuffer()), config);
	const info = await hub.fileDownloadInfo({ repo: REPO, path: "model.safetensors", hubUrl, accessToken: ALICE });
	assert.equal(info.size, weights.length);
	assert.equal(info.etag, `"${sha256(weights)}"`);
	assert.ok(info.url.startsWith(`${cdnUrl}/repos/`), `download URL on the CDN: ${info.url}`);
	const blob = await hub.downloadFile({ repo: REPO, path: "model.safetensors", hubUrl, accessToken: ALICE });
	const got = Buffer.from(await blob.arrayBuffer());
	assert.equal(got.length, weights.length);
	assert.equal(sha256(got), sha256(weights));

	const c = await control("GET", "counters");
	assert.deepEqual(Object.keys(c.hosts.main.paths).sort(), [
		"/alice/js-peer/resolve/main/config.json",
		"/alice/js-peer/resolve/main/model.safetensors",
	], "only resolve calls: no xet token or reconstruction requests");
	const resolve = c.hosts.main.paths["/alice/js-peer/resolve/main/model.safetensors"];
	assert.deepEqual(resolve.ranges, ["bytes=0-0", "bytes=0-0"], "JS probes with Range: bytes=0-0");
	assert.deepEqual(resolve.statuses, { 302: 2 });
	const cdnPath = Object.keys(c.hosts.cdn.paths)[0];
	assert.equal(cdnPath, `/repos/${sha256(weights).slice(0, 2)}/${sha256(weights).slice(2, 4)}/${sha256(weights)}`);
	const cdn = c.hosts.cdn.paths[cdnPath];
	// Two probes follow the redirect (Range kept), then one plain GET of the
	// whole object straight at the signed CDN URL.
	assert.deepEqual(cdn.ranges, ["bytes=0-0", "bytes=0-0"]);
	assert.deepEqual(cdn.statuses, { 200: 1, 206: 2 });
	assert.equal(cdn.bytes_served, weights.length + 2);
	// undici drops Authorization on the cross-origin redirect, but the client
	// then fetches the CDN URL itself (X-Cache says cloudfront) with its token.
	assert.equal(c.hosts.cdn.authorization_count, 1, "JS sends its token to the CDN once");
});

test_("downloadFileToCacheDir and snapshotDownload into a cache dir", async () => {
	const p = await hub.downloadFileToCacheDir({ repo: REPO, path: "config.json", hubUrl, accessToken: ALICE, cacheDir });
	const storage = join(cacheDir, "models--alice--js-peer");
	assert.equal(p, join(storage, "snapshots", commitOid, "config.json"));
	assert.equal(await readlink(p), join("..", "..", "blobs", gitOid(config)));
	assert.deepEqual(new Uint8Array(await readFile(p)), config);

	const snap = await hub.snapshotDownload({ repo: REPO, hubUrl, accessToken: ALICE, cacheDir });
	assert.equal(snap, join(storage, "snapshots", commitOid));
	assert.equal((await readFile(join(storage, "refs", "main"), "utf8")), commitOid);
	assert.deepEqual((await readdir(snap)).sort(), [".gitattributes", "config.json", "model.safetensors"]);
	const w = await readFile(join(snap, "model.safetensors"));
	assert.equal(sha256(w), sha256(weights));
	assert.equal(await readlink(join(snap, "model.safetensors")), join("..", "..", "blobs", sha256(weights)));
	assert.ok((await lstat(join(storage, "blobs", sha256(weights)))).isFile());
});

test_("scanCacheDir of that cache", async () => {
	const scan = await hub.scanCacheDir(cacheDir);
	assert.deepEqual(scan.warnings, []);
	assert.equal(scan.repos.length, 1);
	const repo = scan.repos[0];
	assert.deepEqual(repo.id, { name: "alice/js-peer", type: "model" });
	assert.equal(repo.filesCount, 3);
	assert.equal(repo.revisions.length, 1);
	assert.equal(repo.revisions[0].commitOid, commitOid);
	assert.deepEqual(repo.revisions[0].refs, ["main"]);
	const gaSize = (await readFile(join(cacheDir, "models--alice--js-peer", "snapshots", commitOid, ".gitattributes"))).length;
	assert.equal(repo.size, config.length + weights.length + gaSize);
	assert.equal(scan.size, repo.size);
});

test_("whoAmI", async () => {
	const me = await hub.whoAmI({ accessToken: ALICE, hubUrl });
	assert.equal(me.type, "user");
	assert.equal(me.name, "alice");
	assert.deepEqual(
		me.orgs.map((o) => [o.type, o.name]),
		[["org", "acme"]],
	);
	assert.equal(me.auth.type, "access_token");
	assert.equal(me.auth.accessToken.role, "write");
	assert.ok(me.auth.accessToken.createdAt instanceof Date);
	const bob = await hub.whoAmI({ accessToken: BOB, hubUrl });
	assert.equal(bob.auth.accessToken.role, "read");
	await rejectsWith(hub.whoAmI({ accessToken: "hf_not_a_token", hubUrl }), {
		status: 401,
		message: "Invalid credentials in Authorization header",
	});
	await assert.rejects(hub.whoAmI({ accessToken: "no_prefix", hubUrl }), TypeError);
});

test_("listModels follows Link pagination; listCommits and countCommits", async () => {
	await control("POST", "config", { search_page_size: 2 });
	try {
		const names = [];
		for await (const m of hub.listModels({ search: { owner: "acme", query: "jslist-" }, hubUrl, sort: "likes" })) {
			names.push(m.name);
			assert.match(m.id, /^[0-9a-f]{24}$/);
			assert.equal(typeof m.likes, "number");
		}
		assert.deepEqual(names, [4, 3, 2, 1, 0].map((i) => `acme/jslist-${i}`));
	} finally {
		await control("POST", "config", { search_page_size: 1000 });
	}
	const commits = [];
	for await (const c of hub.listCommits({ repo: REPO, hubUrl, accessToken: ALICE })) {
		commits.push(c);
	}
	assert.deepEqual(
		commits.map((c) => c.title),
		["Add config and weights", "initial commit"],
	);
	assert.equal(commits[0].oid, commitOid);
	assert.equal(await hub.countCommits({ repo: REPO, hubUrl, accessToken: ALICE }), 2);
});

test_("deleteFile makes a commit and the file disappears", async () => {
	const out = await hub.deleteFile({ repo: REPO, path: "config.json", accessToken: ALICE, hubUrl });
	assert.match(out.commit.oid, /^[0-9a-f]{40}$/);
	assert.notEqual(out.commit.oid, commitOid);
	const paths = [];
	for await (const e of hub.listFiles({ repo: REPO, hubUrl, accessToken: ALICE })) {
		paths.push(e.path);
	}
	assert.deepEqual(paths, [".gitattributes", "model.safetensors"]);
	assert.equal(await hub.fileExists({ repo: REPO, path: "config.json", hubUrl, accessToken: ALICE }), false);
	assert.equal(await hub.fileExists({ repo: REPO, path: "model.safetensors", hubUrl, accessToken: ALICE }), true);
	await rejectsWith(hub.deleteFile({ repo: REPO, path: "config.json", accessToken: ALICE, hubUrl }), {
		status: 404,
		message: "A file with this name doesn't exist",
	});
});

test_("a read token cannot commit: 403 with the Hub's message", async () => {
	await rejectsWith(
		hub.uploadFiles({
			repo: REPO,
			accessToken: BOB,
			hubUrl,
			useXet: false,
			files: [{ path: "x.txt", content: new Blob(["x"]) }],
		}),
		{ status: 403, message: "Forbidden: pass `create_pr=1` as a query parameter to create a Pull Request" },
	);
});

test_("errors: missing repo, private without token, gated, missing file, missing revision", async () => {
	const missing = { type: "model", name: "acme/does-not-exist" };
	await rejectsWith(hub.modelInfo({ name: missing.name, hubUrl }), {
		status: 401,
		message: "Invalid username or password.",
	});
	await rejectsWith(hub.modelInfo({ name: missing.name, hubUrl, accessToken: ALICE }), {
		status: 404,
		message: "Repository not found",
	});
	await rejectsWith(hub.downloadFile({ repo: missing, path: "config.json", hubUrl }), { status: 401 });
	await rejectsWith(hub.modelInfo({ name: "alice/private-model", hubUrl }), {
		status: 401,
		message: "Invalid username or password.",
	});
	await rejectsWith(hub.modelInfo({ name: "alice/private-model", hubUrl, accessToken: BOB }), { status: 404 });
	const secret = await hub.downloadFile({ repo: "alice/private-model", path: "secret.txt", hubUrl, accessToken: ALICE });
	assert.equal(await secret.text(), "s3cr3t\n");

	const gated = { type: "model", name: "acme/gated-model" };
	await rejectsWith(hub.downloadFile({ repo: gated, path: "config.json", hubUrl }), {
		status: 401,
		message: "Access to model acme/gated-model is restricted. You must have access to it and be authenticated",
	});
	await rejectsWith(hub.downloadFile({ repo: gated, path: "config.json", hubUrl, accessToken: BOB }), {
		status: 403,
		message: "Access to model acme/gated-model is restricted and you are not in the authorized list",
	});
	const info = await hub.modelInfo({ name: gated.name, hubUrl });
	assert.equal(info.gated, "manual");

	assert.equal(await hub.downloadFile({ repo: REPO, path: "nope.txt", hubUrl, accessToken: ALICE }), null);
	assert.equal(await hub.fileDownloadInfo({ repo: REPO, path: "nope.txt", hubUrl, accessToken: ALICE }), null);
	await rejectsWith(hub.modelInfo({ name: REPO.name, revision: "nope", hubUrl, accessToken: ALICE }), {
		status: 404,
		message: "Invalid rev id: nope",
	});
	await rejectsWith(
		hub.downloadFile({ repo: REPO, path: "model.safetensors", revision: "nope", hubUrl, accessToken: ALICE }),
		{ status: 404, message: "Invalid rev id: nope" },
	);
	await assert.rejects(
		hub.downloadFileToCacheDir({ repo: REPO, path: "nope.txt", hubUrl, accessToken: ALICE, cacheDir }),
		/cannot get path info for nope.txt/,
	);
});

test_("deleteRepo, then the repo is gone", async () => {
	await hub.deleteRepo({ repo: REPO, accessToken: ALICE, hubUrl });
	await rejectsWith(hub.modelInfo({ name: REPO.name, hubUrl, accessToken: ALICE }), {
		status: 404,
		message: "Repository not found",
	});
	await rejectsWith(hub.deleteRepo({ repo: REPO, accessToken: ALICE, hubUrl }), { status: 404 });
});
