#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Integration tests of auth (issue 5): `hfhub auth …` through the built
hfhubd, with a real gnome-keyring on each case's private bus (or none, or a
locked one), against the Hub emulator's users (alice: write, bob: read).
Identities, the file fallback, the locked keyring, downloads as one identity
or another (also after a restart), huggingface_hub's token files, the git
credential helper, and token hygiene: logs, database, job properties, the
D-Bus API. TAP on stdout; see harness.py."""

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (ALICE_TOKEN, BOB_TOKEN, ERR, MiB, check, eq, expect_failed,  # noqa: E402
                     wait_for)

KEYRING_PASSWORD = "hfhub-test-keyring-pass"
SECRETS = "org.freedesktop.secrets"
GIT_HELPER = os.path.join(os.path.dirname(harness.HFHUB_CLI), "git-credential-hfhub")
LOGIN_COLLECTION = "/org/freedesktop/secrets/collection/login"
# what no name or type of the API that goes out may suggest
SECRETISH = re.compile(r"token|secret|password|credential|bearer", re.I)


# --------------------------------------------------------------------------- helpers


def cli(t, *args, input=None, json_out=True, env=None, timeout=60):
    """hfhub [--json] ARGS with INPUT on stdin → CliResult."""
    argv = [harness.HFHUB_CLI] + (["--json"] if json_out else []) + [str(a) for a in args]
    t0 = time.monotonic()
    p = subprocess.run(argv, env=t.cli_env(env), capture_output=True, text=True,
                       timeout=timeout, input=input if input is not None else "",
                       cwd=t.tmp)
    r = harness.CliResult(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    t.cli_log.append(r)
    return r


def login(t, token, *args, expect_ok=True, json_out=True):
    r = cli(t, "auth", "login", "--token-stdin", *args, input=token, json_out=json_out)
    if expect_ok and r.rc != 0:
        raise harness.Failure(f"auth login failed: exit {r.rc}: {r.stdout.strip()} "
                              f"{r.stderr.strip()}")
    return r


def identities(t):
    r = cli(t, "auth", "list")
    eq(r.rc, 0, f"auth list exit status ({r.stdout} {r.stderr})")
    return r.json


def names(listing):
    return sorted(i["name"] for i in listing["identities"])


def default_name(listing):
    d = [i["name"] for i in listing["identities"] if i["default"]]
    return d[0] if len(d) == 1 else d


def keyring_pid(t):
    owner = t.name_owner(SECRETS)
    return t.connection_pid(owner) if owner else None


def start_keyring(t, password=KEYRING_PASSWORD):
    """gnome-keyring (secrets only) on the case's bus, its login keyring
    unlocked with password (created on first use). Replaces a running one."""
    before = keyring_pid(t)
    with open(t.path("gnome-keyring.log"), "ab") as log:
        subprocess.run(["gnome-keyring-daemon", "--replace", "--unlock", "--components=secrets"],
                       input=password.encode(), env=t.bus_env(), stdout=subprocess.DEVNULL,
                       stderr=log, timeout=30, check=True)
    pid = wait_for(lambda: (lambda p: p if p and p != before else None)(keyring_pid(t)),
                   20, "gnome-keyring to own org.freedesktop.secrets")

    def stop():
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    t.cleanups.append(stop)
    return pid


def lock_keyring(t):
    rc, out, err = t.gdbus_call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
                                f"['{LOGIN_COLLECTION}']", dest=SECRETS)
    eq(rc, 0, f"locking the login collection ({out} {err})")


def secret_tool(t, *args):
    return subprocess.run(["secret-tool", *args], env=t.bus_env(), capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def keyring_token(t, name, endpoint=None):
    r = secret_tool(t, "lookup", "endpoint", endpoint or t.endpoint, "name", name,
                    "generation", "1")
    return r.stdout.strip() if r.returncode == 0 else None


def state_files(t):
    """{relative path: bytes} of everything under $XDG_STATE_HOME."""
    out = {}
    for d, _, files in os.walk(t.xdg_state):
        for f in files:
            p = os.path.join(d, f)
            try:
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, t.xdg_state)] = fh.read()
            except OSError:
                pass
    return out


def daemon_logs(t):
    return "".join(open(d.log_path, errors="replace").read() for d in t.daemons)


def seed_private(t, rid, lfs=True):
    files = {"config.json": '{"private": true}\n'}
    if lfs:
        files["w.safetensors"] = {"size": MiB + 11, "seed": 4}
    return t.emu.seed({"id": rid, "files": files, "private": True})


DOWNLOAD_HINT = ("(does hfhub-download.c take its token from hfhub_engine_dup_token() and the "
                 "job's \"identity\" option yet?)")


def download_ok(t, rid, *args):
    r = t.download(rid, *args)
    job = harness.require_job(r)
    if job["state"] != "succeeded":
        raise harness.Failure(f"download of {rid} {' '.join(args)}: {job['state']}, "
                              f"{job.get('error')} {DOWNLOAD_HINT}")
    return job


# --------------------------------------------------------------------------- keyring


def test_login_whoami_keyring(t):
    start_keyring(t)
    t.start_daemon()
    r = login(t, ALICE_TOKEN)
    ident = r.json
    eq(ident["name"], "alice", "identity name (default: the user's name)")
    eq(ident["user"], "alice", "user")
    eq(ident["orgs"], ["acme"], "orgs")
    eq(ident["role"], "write", "role")
    eq(ident["storage"], "keyring", "storage")
    eq(ident["default"], True, "the first identity is the default")
    check("warning" not in ident, f"a warning with a keyring: {ident.get('warning')}")
    eq(keyring_token(t, "alice"), ALICE_TOKEN, "the token in the Secret Service item")
    check(not os.path.exists(os.path.join(t.xdg_state, "hfhub", "tokens")),
          "a token file was written although the keyring works")

    w = cli(t, "auth", "whoami")
    eq(w.rc, 0, f"whoami exit status ({w.stdout})")
    for k, v in (("user", "alice"), ("name", "alice"), ("role", "write"), ("orgs", ["acme"]),
                 ("source", "identity"), ("endpoint", t.endpoint), ("status", "available")):
        eq(w.json.get(k), v, f"whoami {k}")
    w = cli(t, "auth", "whoami", "--refresh")
    eq((w.rc, w.json.get("verified"), w.json.get("user")), (0, True, "alice"),
       "whoami --refresh asks the Hub")

    text = cli(t, "auth", "whoami", json_out=False)
    eq(text.rc, 0, "whoami (text)")
    check("alice" in text.stdout and "acme" in text.stdout and "write" in text.stdout,
          f"whoami text lacks user/orgs/role: {text.stdout!r}")
    listing = identities(t)
    eq(names(listing), ["alice"], "identities")
    eq(listing["storage"], "keyring", "Storage")
    eq(listing["environment_token"], False, "EnvironmentToken")


def test_login_bad_token(t):
    start_keyring(t)
    t.start_daemon()
    r = login(t, "hf_not_a_real_token", expect_ok=False)
    eq(r.error_name, ERR + "InvalidToken", f"error ({r.stdout})")
    check("reject" in r.error_message, f"unclear message: {r.error_message!r}")
    check(r.rc != 0, "a rejected token must not exit 0")
    eq(names(identities(t)), [], "identities after a rejected login")
    found = secret_tool(t, "search", "--all", "generation", "1")
    eq(found.stdout.strip(), "", "Secret Service items after a rejected login")
    check("hf_not_a_real_token" not in daemon_logs(t), "the rejected token is in the log")
    # not a token at all, and nothing
    r = login(t, "hf with spaces", expect_ok=False)
    eq(r.error_name, ERR + "InvalidToken", f"a token with spaces ({r.stdout})")
    r = login(t, "   \n", expect_ok=False)
    eq(r.rc, 2, f"an empty token is a usage error ({r.stdout})")
    r = cli(t, "auth", "login")
    eq(r.rc, 2, "no token and no terminal: usage error")
    eq(names(identities(t)), [], "identities")


def test_two_identities_switch_logout(t):
    start_keyring(t)
    t.start_daemon()
    login(t, ALICE_TOKEN)
    r = login(t, BOB_TOKEN, "--name", "work")
    eq((r.json["name"], r.json["user"], r.json["default"]), ("work", "bob", True),
       "bob's identity (named work) becomes the default")
    listing = identities(t)
    eq(names(listing), ["alice", "work"], "two identities")
    eq(default_name(listing), "work", "default")
    eq(cli(t, "auth", "whoami").json["user"], "bob", "whoami after the second login")
    eq(cli(t, "auth", "whoami", "--name", "alice").json["user"], "alice", "whoami --name")

    r = cli(t, "auth", "switch", "alice")
    eq((r.rc, r.json.get("name"), r.json.get("default")), (0, "alice", True), "switch")
    eq(cli(t, "auth", "whoami").json["user"], "alice", "whoami after the switch")
    eq(default_name(identities(t)), "alice", "default after the switch")
    r = cli(t, "auth", "switch", "nobody")
    eq(r.error_name, ERR + "InvalidArgument", "switch to an unknown identity")

    # no default when the default goes and two are left is not tested: with
    # one left, it becomes the default
    r = cli(t, "auth", "logout", "alice")
    eq(r.rc, 0, f"logout alice ({r.stdout})")
    eq([i["name"] for i in r.json["removed"]], ["alice"], "removed")
    eq(keyring_token(t, "alice"), None, "alice's token is gone from the keyring")
    eq(keyring_token(t, "work"), BOB_TOKEN, "bob's token is still there")
    listing = identities(t)
    eq(names(listing), ["work"], "identities after logout")
    eq(default_name(listing), "work", "the one left is the default")

    login(t, ALICE_TOKEN)
    r = cli(t, "auth", "logout", "--all")
    eq(r.rc, 0, f"logout --all ({r.stdout})")
    eq(sorted(i["name"] for i in r.json["removed"]), ["alice", "work"], "removed by --all")
    eq(names(identities(t)), [], "identities after logout --all")
    eq(secret_tool(t, "search", "--all", "generation", "1").stdout.strip(), "",
       "keyring items after logout --all")
    r = cli(t, "auth", "whoami")
    eq(r.error_name, ERR + "Unauthorized", "whoami when logged out")


def test_identities_survive_restart(t):
    start_keyring(t)
    d = t.start_daemon()
    login(t, ALICE_TOKEN)
    login(t, BOB_TOKEN, "--no-default")
    eq(d.terminate(), 0, "hfhubd exit status")
    t.start_daemon()
    listing = identities(t)
    eq(names(listing), ["alice", "bob"], "identities after a restart")
    eq(default_name(listing), "alice", "default after a restart")
    eq([i["status"] for i in listing["identities"]], ["available", "available"],
       "tokens read back from the keyring")
    w = cli(t, "auth", "whoami", "--name", "bob", "--refresh")
    eq((w.rc, w.json.get("user")), (0, "bob"), "bob's token works after a restart")


# --------------------------------------------------------------------------- downloads


def test_private_download_default_and_identity_option(t):
    start_keyring(t)
    seed_private(t, "alice/private")
    seed_private(t, "bob/private")
    t.start_daemon()
    login(t, ALICE_TOKEN)
    login(t, BOB_TOKEN, "--no-default")
    t.emu.reset_counters()
    download_ok(t, "alice/private")
    download_ok(t, "bob/private", "--token-identity", "bob")
    # the default (alice) cannot see bob's private repo
    expect_failed(t.download("bob/private", "config.json", "--force-download"),
                  ERR + "RepoNotFound")
    # refused when the job is created, or the job fails: never anonymous
    r = t.cli("download", "alice/private", "--token-identity", "nobody", "--force-download")
    check(r.rc != 0, "a download as an unknown identity must fail")
    eq(r.error_name, ERR + "InvalidArgument", f"error of an unknown identity ({r.stdout})")
    c = t.emu.counters()
    check(c["hosts"]["main"].get("authorization_seen"), "no token reached the Hub")
    check(c["hosts"]["cdn"]["requests"] >= 1, "no LFS file came from the CDN host")
    eq(c["hosts"]["cdn"].get("authorization_count"), 0, "Authorization at the CDN host")


def test_queued_private_download_after_restart(t):
    start_keyring(t)
    t.write_config({"daemon": {"max-running-jobs": 1}})
    seed_private(t, "alice/queued")
    t.emu.seed({"id": "org/blocker", "files": {"big.safetensors": {"size": 8 * MiB, "seed": 2}}})
    t.emu.add_fault({"kind": "stall", "host": "cdn", "method": "GET", "path": "/repos/*",
                     "after_bytes": MiB, "seconds": 60, "times": "forever"})
    d = t.start_daemon()
    login(t, ALICE_TOKEN)
    login(t, BOB_TOKEN, "--no-default")
    blocker = harness.require_job(t.cli("download", "org/blocker", "--detach"))
    t.wait_job(blocker["id"], ("running",), timeout=20)
    queued = harness.require_job(t.cli("download", "alice/queued", "--detach"))
    eq(t.job(queued["id"])["state"], "queued", "the private download waits for a slot")
    # from now on the default would be bob, who cannot read alice/queued:
    # the job must keep the identity it was created with
    eq(cli(t, "auth", "switch", "bob").rc, 0, "switch to bob")
    eq(d.terminate(), 0, "hfhubd exit status")
    t.emu.clear_faults()
    t.start_daemon()
    final = t.wait_job(queued["id"], timeout=60)
    if final["state"] != "succeeded":
        raise harness.Failure(f"the queued private download after a restart: {final['state']}"
                              f" {final.get('error')} {DOWNLOAD_HINT}")
    check(ALICE_TOKEN not in json.dumps(final), "the token is in the job object")


def test_environment_token_precedence(t):
    start_keyring(t)
    seed_private(t, "alice/envtest", lfs=False)
    t.start_daemon()
    login(t, ALICE_TOKEN)
    t.daemons[-1].terminate()
    d = t.start_daemon(token=BOB_TOKEN)
    with open(f"/proc/{d.pid}/environ", "rb") as f:
        environ = f.read()
    check(BOB_TOKEN.encode() not in environ, "HF_TOKEN stays in hfhubd's environment")
    listing = identities(t)
    eq(listing["environment_token"], True, "EnvironmentToken")
    w = cli(t, "auth", "whoami")
    eq((w.rc, w.json.get("source"), w.json.get("user"), w.json.get("name")),
       (0, "environment", "bob", "HF_TOKEN"), "whoami: HF_TOKEN wins over the default")
    w = cli(t, "auth", "whoami", "--name", "alice")
    eq((w.json.get("source"), w.json.get("user")), ("identity", "alice"),
       "an explicit identity wins over HF_TOKEN")
    # HF_TOKEN (bob) cannot see alice's repo; the identity option can
    expect_failed(t.download("alice/envtest"), ERR + "RepoNotFound")
    download_ok(t, "alice/envtest", "--token-identity", "alice")
    check(BOB_TOKEN not in daemon_logs(t), "HF_TOKEN's value is in the log")


# --------------------------------------------------------------------------- fallback, locked


def test_fallback_without_secret_service(t):
    seed_private(t, "alice/filefb", lfs=False)
    t.start_daemon()
    r = login(t, ALICE_TOKEN)
    eq(r.json["storage"], "file", "storage without a Secret Service")
    check("Secret Service" in r.json.get("warning", ""),
          f"no warning about the fallback: {r.json}")
    path = os.path.join(t.xdg_state, "hfhub", "tokens")
    st = os.stat(path)
    eq(stat.S_IMODE(st.st_mode), 0o600, f"mode of {path}")
    eq(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) & 0o077, 0,
       "the state directory is private")
    with open(path) as f:
        check(ALICE_TOKEN in f.read(), "the token is not in the fallback file")
    # every login warns, on stderr in text mode
    r = login(t, BOB_TOKEN, "--no-default", json_out=False)
    check("Secret Service" in r.stderr and "tokens" in r.stderr,
          f"the second login did not warn: {r.stderr!r}")
    listing = identities(t)
    eq(listing["storage"], "file", "Storage")
    eq(sorted((i["name"], i["storage"]) for i in listing["identities"]),
       [("alice", "file"), ("bob", "file")], "identities and their storage")
    text = cli(t, "auth", "list", json_out=False)
    check("file" in text.stdout and "Secret Service" in text.stdout,
          f"auth list does not show the file storage: {text.stdout!r}")
    tok = cli(t, "auth", "token", json_out=False)
    eq((tok.rc, tok.stdout.strip()), (0, ALICE_TOKEN), "auth token from the file")
    download_ok(t, "alice/filefb")
    cli(t, "auth", "logout", "--all")
    check(not os.path.exists(path), "the token file outlives the last logout")


def test_locked_keyring(t):
    start_keyring(t)
    d = t.start_daemon()
    seed_private(t, "alice/lockedrepo", lfs=False)
    login(t, ALICE_TOKEN)
    lock_keyring(t)
    d.terminate()
    t.start_daemon()
    listing = identities(t)
    eq(listing["storage"], "keyring-locked", "Storage with a locked collection")
    eq([(i["name"], i["status"]) for i in listing["identities"]], [("alice", "locked")],
       "the identity is known, its token locked (not missing)")
    text = cli(t, "auth", "list", json_out=False)
    check("locked" in text.stdout, f"auth list does not say locked: {text.stdout!r}")

    r = login(t, BOB_TOKEN, expect_ok=False)
    eq(r.error_name, ERR + "KeyringLocked", f"login into a locked keyring ({r.stdout})")
    check("unlock" in r.error_message, f"no hint how to unlock: {r.error_message!r}")
    eq(names(identities(t)), ["alice"], "nothing stored by the failed login")
    check(not os.path.exists(os.path.join(t.xdg_state, "hfhub", "tokens")),
          "a locked keyring fell back to the file")

    r = cli(t, "auth", "token")
    eq(r.error_name, ERR + "KeyringLocked", f"auth token with a locked keyring ({r.stdout})")
    r = cli(t, "auth", "whoami", "--refresh")
    eq(r.error_name, ERR + "KeyringLocked", f"whoami --refresh ({r.stdout})")
    job = expect_failed(t.download("alice/lockedrepo"), ERR + "KeyringLocked")
    check("unlock" in job["error"]["message"], "the job's error does not say how to unlock")

    # unlocked again: the CLI reads it, and hfhubd picks it up by itself
    start_keyring(t)
    tok = cli(t, "auth", "token", json_out=False)
    eq((tok.rc, tok.stdout.strip()), (0, ALICE_TOKEN), "auth token once unlocked")
    wait_for(lambda: cli(t, "auth", "whoami", "--refresh").rc == 0, 15,
             "hfhubd to read the token once the keyring is unlocked", interval=0.5)


# --------------------------------------------------------------------------- huggingface_hub files


def write_hf_files(t):
    home = os.path.join(t.xdg_cache, "huggingface")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "token"), "w") as f:
        f.write(ALICE_TOKEN)
    with open(os.path.join(home, "stored_tokens"), "w") as f:
        f.write(f"[alice-write]\nhf_token = {ALICE_TOKEN}\n\n"
                f"[bob-read]\nhf_token = {BOB_TOKEN}\n\n")
    return home


def test_huggingface_hub_files_import(t):
    start_keyring(t)
    write_hf_files(t)
    t.start_daemon()
    r = cli(t, "auth", "whoami")
    eq(r.error_name, ERR + "Unauthorized", f"whoami before the import ({r.stdout})")
    hf = (r.json or {}).get("huggingface_hub_tokens") or {}
    eq(sorted(hf.get("stored_tokens", [])), ["alice-write", "bob-read"],
       "whoami names huggingface_hub's stored tokens")
    text = cli(t, "auth", "whoami", json_out=False)
    check("hfhub auth import" in text.stderr, f"whoami does not suggest the import: "
          f"{text.stderr!r}")
    eq(names(identities(t)), [], "nothing was imported silently")

    r = cli(t, "auth", "import")
    eq(r.rc, 0, f"auth import ({r.stdout} {r.stderr})")
    eq(sorted(i["name"] for i in r.json["imported"]), ["alice-write", "bob-read"], "imported")
    listing = identities(t)
    eq(names(listing), ["alice-write", "bob-read"], "identities after the import")
    eq(default_name(listing), "alice-write", "the active token is the default")
    eq(cli(t, "auth", "whoami").json["user"], "alice", "whoami after the import")
    eq(keyring_token(t, "bob-read"), BOB_TOKEN, "bob's token in the keyring")


# --------------------------------------------------------------------------- git credential helper


def git_fill(t, request, helper="hfhub"):
    env = t.cli_env()
    env["PATH"] = os.path.dirname(GIT_HELPER) + os.pathsep + env.get("PATH", "")
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    p = subprocess.run(["git", "-c", "credential.helper=", "-c", f"credential.helper={helper}",
                        "credential", "fill"], input=request, env=env, capture_output=True,
                       text=True, timeout=30, cwd=t.tmp)
    t.cli_log.append(harness.CliResult(["git", "credential", "fill"], p.returncode, p.stdout,
                                       p.stderr, 0))
    return p, dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


def test_git_credential_helper(t):
    start_keyring(t)
    t.start_daemon()
    login(t, ALICE_TOKEN)
    login(t, BOB_TOKEN, "--no-default")
    host = t.emu.host
    p, out = git_fill(t, f"protocol=http\nhost={host}\n\n")
    eq(p.returncode, 0, f"git credential fill ({p.stderr})")
    eq((out.get("username"), out.get("password")), ("alice", ALICE_TOKEN),
       "the default identity's user and token")
    p, out = git_fill(t, f"protocol=http\nhost={host}\nusername=bob\n\n")
    eq((out.get("username"), out.get("password")), ("bob", BOB_TOKEN), "asked for bob")
    p, out = git_fill(t, f"protocol=http\nhost={host}\npath=alice/x.git\n\n",
                      helper="hfhub --name bob")
    eq(out.get("password"), BOB_TOKEN, "--name bob")
    # another host, or another scheme: no answer, so git asks elsewhere
    for req in (f"protocol=http\nhost=example.invalid\n\n",
                f"protocol=https\nhost={host}\n\n"):
        p, out = git_fill(t, req)
        check(p.returncode != 0 and "password" not in out,
              f"the helper answered for {req!r}: {out}")
    # store and erase are ignored
    env = t.cli_env()
    for op in ("store", "erase"):
        p = subprocess.run([GIT_HELPER, op], input=f"protocol=http\nhost={host}\nusername=x\n"
                           "password=y\n\n", env=env, capture_output=True, text=True, timeout=30)
        eq((p.returncode, p.stdout), (0, ""), f"git-credential-hfhub {op}")
    eq(keyring_token(t, "alice"), ALICE_TOKEN, "erase left the keyring alone")


# --------------------------------------------------------------------------- hygiene


def check_absent(t, token, where, text):
    check(token not in text, f"the token appears in {where}")


def test_hygiene_logs_db_jobs(t):
    start_keyring(t)
    rid = "alice/hygiene"
    seed_private(t, rid)
    t.start_daemon(env={"G_MESSAGES_DEBUG": "all"})
    login(t, ALICE_TOKEN)
    login(t, BOB_TOKEN, "--no-default")
    t.emu.reset_counters()
    job = download_ok(t, rid)
    c = t.emu.counters()
    check(c["hosts"]["cdn"]["requests"] >= 1, "the LFS file did not come from the CDN")
    eq(c["hosts"]["cdn"].get("authorization_count"), 0, "Authorization at the CDN host")
    eq(c["hosts"]["cdn"].get("authorization_seen"), False, "authorization_seen at the CDN")
    check(c["hosts"]["main"].get("authorization_seen"), "no Authorization at the Hub")

    logs = daemon_logs(t)
    check("HfhubHttp-DEBUG" in logs and "Authorization" in logs,
          "the HTTP debug log is not on: this case proves nothing")
    for tok in (ALICE_TOKEN, BOB_TOKEN):
        check_absent(t, tok, "hfhubd's debug log", logs)
        show = cli(t, "jobs", "show", job["id"])
        eq(show.rc, 0, "jobs show")
        check_absent(t, tok, "hfhub --json jobs show", show.stdout)
        check_absent(t, tok, "hfhub --json jobs ls", cli(t, "jobs", "ls").stdout)
        for rel, data in state_files(t).items():
            check(tok.encode() not in data, f"the token appears in $XDG_STATE_HOME/{rel}")
        for args in (("auth", "list"), ("auth", "whoami"), ("auth", "whoami", "--refresh"),
                     ("daemon", "status")):
            check_absent(t, tok, "hfhub " + " ".join(args), cli(t, *args).stdout)
    # every property of every object, as a client sees them
    rc, out, _ = t.gdbus_call(harness.OBJ_PATH, "org.freedesktop.DBus.ObjectManager."
                              "GetManagedObjects")
    eq(rc, 0, "GetManagedObjects")
    rc2, out2, _ = t.gdbus_call(harness.OBJ_PATH, "org.freedesktop.DBus.Properties.GetAll",
                                "io.github.hfhub.Hub1.Auth")
    eq(rc2, 0, "Auth properties")
    for tok in (ALICE_TOKEN, BOB_TOKEN):
        check_absent(t, tok, "the D-Bus objects' properties", out + out2)


def walk_api(xml_text, where):
    """Fails if any way out of the API (method out args, properties,
    signal args) could carry a token: a string-ish member named like one,
    or a file descriptor going out. Returns what was checked."""
    problems = []
    checked = 0
    root = ET.fromstring(xml_text)
    for iface in root.iter("interface"):
        iname = iface.get("name", "")
        if not iname.startswith("io.github.hfhub."):
            continue
        for m in iface.iter("method"):
            for a in m.iter("arg"):
                direction = a.get("direction", "in")
                typ = a.get("type", "")
                name = a.get("name", "")
                label = f"{iname}.{m.get('name')}({name}: {typ}, {direction})"
                if direction == "out":
                    checked += 1
                    if "h" in typ:
                        problems.append(f"{label}: a file descriptor goes out")
                    if SECRETISH.search(name) and typ != "b":
                        problems.append(f"{label}: named like a secret")
                elif SECRETISH.search(name) and typ != "h":
                    problems.append(f"{label}: a token must come in as a file descriptor")
        for p in iface.iter("property"):
            checked += 1
            typ = p.get("type", "")
            if SECRETISH.search(p.get("name", "")) and typ != "b":
                problems.append(f"{iname}.{p.get('name')} ({typ}): property named like a "
                                "secret")
            if "h" in typ:
                problems.append(f"{iname}.{p.get('name')}: a file descriptor property")
        for s in iface.iter("signal"):
            for a in s.iter("arg"):
                checked += 1
                if SECRETISH.search(a.get("name", "")) and a.get("type") != "b":
                    problems.append(f"{iname}.{s.get('name')}({a.get('name')}): signal arg "
                                    "named like a secret")
    if problems:
        raise harness.Failure(f"{where}: " + "; ".join(problems))
    return checked


def test_introspection_no_token_out(t):
    xml_dir = os.path.join(harness.SRCDIR, "dbus")
    n = 0
    for f in sorted(os.listdir(xml_dir)):
        if f.endswith(".xml"):
            with open(os.path.join(xml_dir, f)) as fh:
                n += walk_api(fh.read(), f"dbus/{f}")
    check(n > 0, "nothing checked in dbus/*.xml")
    start_keyring(t)
    t.start_daemon()
    login(t, ALICE_TOKEN)
    t.emu.seed({"id": "org/intro", "files": {"a.txt": "a\n"}})
    job = harness.require_job(t.cli("download", "org/intro"))
    paths = [harness.OBJ_PATH, f"{harness.JOBS_PATH}/{job['id']}"]
    seen = set()
    for path in paths:
        rc, out, err = t.gdbus("introspect", "--session", "--dest", harness.BUS_NAME,
                               "--object-path", path, "--xml")
        eq(rc, 0, f"introspect {path} ({err})")
        walk_api(out, f"live {path}")
        seen |= {i.get("name") for i in ET.fromstring(out).iter("interface")}
    check("io.github.hfhub.Hub1.Auth" in seen, f"no Auth interface exported: {sorted(seen)}")
    # Login takes the token as a file descriptor and nothing else
    rc, out, _ = t.gdbus("introspect", "--session", "--dest", harness.BUS_NAME,
                         "--object-path", harness.OBJ_PATH, "--xml")
    auth = [i for i in ET.fromstring(out).iter("interface")
            if i.get("name") == "io.github.hfhub.Hub1.Auth"][0]
    login_args = [(a.get("name"), a.get("type"), a.get("direction", "in"))
                  for m in auth.iter("method") if m.get("name") == "Login"
                  for a in m.iter("arg")]
    check(("token_fd", "h", "in") in login_args, f"Login's arguments: {login_args}")
    # a token passed as a string where a file descriptor is expected is refused
    rc, out, err = t.gdbus_call(harness.OBJ_PATH, "io.github.hfhub.Hub1.Auth.Login",
                                "0", "{}")
    check(rc != 0, "Login without a file descriptor was accepted")


def test_token_option_warns(t):
    start_keyring(t)
    t.start_daemon()
    r = cli(t, "auth", "login", "--token", ALICE_TOKEN, json_out=False)
    eq(r.rc, 0, f"auth login --token ({r.stderr})")
    check("history" in r.stderr, f"no warning about the shell history: {r.stderr!r}")
    check(ALICE_TOKEN not in r.stdout + r.stderr, "the token is echoed")
    tok = cli(t, "auth", "token", json_out=False)
    eq((tok.rc, tok.stdout.strip()), (0, ALICE_TOKEN), "auth token")
    r = cli(t, "auth", "token", env={"HF_TOKEN": BOB_TOKEN}, json_out=False)
    eq(r.stdout.strip(), BOB_TOKEN, "auth token: HF_TOKEN wins as for hfhubd")


if __name__ == "__main__":
    sys.exit(harness.main(globals(), emulator=True))
