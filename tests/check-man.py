#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages (data/man/) document what the programs do. TAP on stdout.

hfhub.1: every command of "hfhub list-commands" has a .SS heading naming it
("hfhub jobs ls"; a heading may name several, separated by ", "), every
option its --help shows is a .TP item of that subsection, and every option
a subsection documents is one of its commands' options; the global options
of "hfhub --help" are items of OPTIONS and its exit codes of EXIT STATUS.
hfhubd.1 and git-credential-hfhub.1: the options of their --help are the
items of OPTIONS, and for hfhubd.1 the keys of data/hfhubd.conf are the
items of CONFIGURATION. The built pages format without groff warnings.

Standard library only. Uses $HFHUB_SRCDIR, $HFHUB_BUILDDIR, $HFHUB_CLI and
$HFHUBD as tests/meson.build sets them.
"""

import os
import re
import shutil
import subprocess
import sys

SRCDIR = os.environ.get("HFHUB_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILDDIR = os.environ.get("HFHUB_BUILDDIR") or os.path.join(SRCDIR, "_build")
HFHUB = os.environ.get("HFHUB_CLI") or os.path.join(BUILDDIR, "client", "hfhub")
HFHUBD = os.environ.get("HFHUBD") or os.path.join(BUILDDIR, "daemon", "hfhubd")
GIT_CREDENTIAL = os.path.join(BUILDDIR, "client", "git-credential-hfhub")
MANDIR = os.path.join(SRCDIR, "data", "man")

# options every hfhub command takes, documented once under OPTIONS
COMMON_OPTIONS = {"--help", "--json", "--no-color"}

OPTION_LINE = re.compile(r"^\s+(?:(-[A-Za-z0-9]),\s+)?(--[A-Za-z0-9][A-Za-z0-9-]*)")
LONG_OPTION = re.compile(r"(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*)")
SHORT_OPTION = re.compile(r"(?<![\w-])(-[A-Za-z0-9])(?![\w-])")


def run(argv):
    env = dict(os.environ, LC_ALL="C", HFHUB_NO_AUTOSTART="1")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, text=True, timeout=30, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise RuntimeError("%s exited with %d: %s" % (" ".join(argv), proc.returncode,
                                                       proc.stderr.strip()))
    return proc.stdout


def help_options(argv):
    """{long option: short option or None} of a GOption --help."""
    options = {}
    for line in run(argv + ["--help"]).splitlines():
        m = OPTION_LINE.match(line)
        if m:
            options[m.group(2)] = m.group(1)
    return options


# ---- a small reader of man(7) sources

ESCAPES = [
    (re.compile(r"\\f(\[[^\]]*\]|\(..|.)"), ""),  # font changes
    (re.compile(r"\\\((aq)"), "'"),
    (re.compile(r"\\\((dq)"), '"'),
    (re.compile(r"\\\((em|en)"), "-"),
    (re.compile(r"\\[&|c^]"), ""),
    (re.compile(r"\\-"), "-"),
    (re.compile(r"\\e"), "\\"),
]


def plain(text):
    """The text of a line, its macro and escapes removed."""
    if text.startswith((".", "'")):
        parts = text.split(None, 1)
        text = parts[1] if len(parts) > 1 else ""
        # macro arguments: "a b" is one argument; font macros join them
        args = re.findall(r'"((?:[^"]|"")*)"|(\S+)', text)
        text = "\x00".join(q.replace('""', '"') if q else w for q, w in args)
        text = text.replace("\x00", "")
    for pattern, repl in ESCAPES:
        text = pattern.sub(lambda m, r=repl: r, text)
    return text


def plain_heading(text):
    """A .SH/.SS heading: its arguments joined by spaces."""
    parts = text.split(None, 1)
    text = parts[1] if len(parts) > 1 else ""
    args = re.findall(r'"((?:[^"]|"")*)"|(\S+)', text)
    text = " ".join(q if q else w for q, w in args)
    for pattern, repl in ESCAPES:
        text = pattern.sub(lambda m, r=repl: r, text)
    return text.strip()


class Section:
    def __init__(self, sh, ss):
        self.sh = sh
        self.ss = ss
        self.tags = []  # the plain text of each .TP item's tag line
        self.text = []  # every plain line


def read_man(path):
    """The sections of a page: one per .SH and per .SS, in order."""
    sections = []
    current = Section("", None)
    sections.append(current)
    want_tag = False
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith(('.\\"', "'\\\"")):
                continue
            if line.startswith(".SH"):
                current = Section(plain_heading(line), None)
                sections.append(current)
                want_tag = False
                continue
            if line.startswith(".SS"):
                current = Section(current.sh, plain_heading(line))
                sections.append(current)
                want_tag = False
                continue
            if line.startswith((".TP", ".TQ")):
                want_tag = True
                continue
            text = plain(line)
            if want_tag and text:
                current.tags.append(text)
                want_tag = False
            current.text.append(text)
    return sections


def tag_options(section):
    """The options (long and short) named by the .TP tags of a section."""
    found = set()
    for tag in section.tags:
        found.update(LONG_OPTION.findall(tag))
        found.update(SHORT_OPTION.findall(tag))
    return found


def tag_words(section):
    """The first word of each .TP tag of a section."""
    return {tag.split()[0] for tag in section.tags if tag.split()}


def sections_named(sections, sh):
    return [s for s in sections if s.sh == sh]


# ---- TAP

results = []


def check(name, problems):
    results.append((name, problems))


def main():
    page = os.path.join(MANDIR, "hfhub.1.in")
    sections = read_man(page)

    # hfhub.1: commands
    commands = [c for c in run([HFHUB, "list-commands"]).splitlines() if c.strip()]
    check("hfhub list-commands lists commands", [] if len(commands) > 10 else
          ["only %d commands" % len(commands)])
    by_command = {}
    stray = []
    for s in sections:
        if s.ss is None or not s.ss.startswith("hfhub "):
            continue
        for name in s.ss.split(", "):
            if not name.startswith("hfhub "):
                stray.append("heading %r: %r is not “hfhub COMMAND”" % (s.ss, name))
                continue
            by_command.setdefault(name[len("hfhub "):], []).append(s)
    missing = [c for c in commands if c not in by_command]
    check("every command of hfhub list-commands has a section in hfhub.1",
          ["no .SS heading names “hfhub %s”" % c for c in missing])
    gone = [c for c in by_command if c not in commands]
    check("every command hfhub.1 documents exists",
          stray + ["“hfhub %s” is not a command" % c for c in gone])

    # hfhub.1: options of each command, both ways
    undocumented = []
    invented = []
    options_of = {}
    for c in commands:
        try:
            options_of[c] = help_options([HFHUB] + c.split())
        except RuntimeError as e:
            undocumented.append(str(e))
    for c, options in options_of.items():
        documented = set()
        for s in by_command.get(c, []):
            documented |= tag_options(s)
        for long, short in options.items():
            if long in COMMON_OPTIONS:
                continue
            if long not in documented:
                undocumented.append("hfhub %s %s" % (c, long))
            elif short and short not in documented:
                undocumented.append("hfhub %s %s (as %s, %s)" % (c, short, short, long))
    for s in sections:
        if s.ss is None or not s.ss.startswith("hfhub "):
            continue
        names = [n[len("hfhub "):] for n in s.ss.split(", ") if n.startswith("hfhub ")]
        known = set(COMMON_OPTIONS)
        for n in names:
            for long, short in options_of.get(n, {}).items():
                known.add(long)
                if short:
                    known.add(short)
        for option in sorted(tag_options(s) - known):
            invented.append("%s documents %s, which none of its commands has" % (s.ss, option))
    check("every option of every command's --help is an item of its section in hfhub.1",
          undocumented)
    check("every option hfhub.1 documents for a command exists", invented)

    # hfhub.1: global options and exit codes
    global_help = run([HFHUB, "--help"])
    global_options = help_options([HFHUB])
    options_section = sections_named(sections, "OPTIONS")
    documented = set()
    for s in options_section:
        documented |= tag_options(s)
    check("the global options of hfhub --help are items of OPTIONS in hfhub.1",
          ["%s is not documented" % o for o in global_options if o not in documented] +
          ([] if options_section else ["no OPTIONS section"]))
    codes = []
    in_codes = False
    for line in global_help.splitlines():
        if line.strip() == "Exit status:":
            in_codes = True
            continue
        if in_codes:
            m = re.match(r"^\s+(\d+)\s", line)
            if not m:
                break
            codes.append(m.group(1))
    exit_words = set()
    for s in sections_named(sections, "EXIT STATUS"):
        exit_words |= tag_words(s)
    check("the exit codes of hfhub --help are items of EXIT STATUS in hfhub.1",
          (["hfhub --help lists no exit codes"] if not codes else []) +
          ["exit code %s is not documented" % c for c in codes if c not in exit_words] +
          ["exit code %s is not in hfhub --help" % c for c in sorted(exit_words - set(codes))])

    # hfhub.1: the environment the CLI reads and forwards
    env_text = " ".join(" ".join(s.text) for s in sections_named(sections, "ENVIRONMENT"))
    env_names = {"HF_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN"}
    with open(os.path.join(SRCDIR, "client", "hfhub-hf-env.c"), encoding="utf-8") as f:
        env_names |= set(re.findall(r'getenv(?:_nonempty)?\("([A-Z][A-Z0-9_]*)"\)', f.read()))
    check("ENVIRONMENT in hfhub.1 names what the CLI reads (client/hfhub-hf-env.c)",
          ["%s is not mentioned" % n for n in sorted(env_names)
           if not re.search(r"(?<![A-Z_])%s(?![A-Z_])" % n, env_text)])

    # hfhubd.1
    page = os.path.join(MANDIR, "hfhubd.1.in")
    sections = read_man(page)
    check_options_section("hfhubd.1", sections, help_options([HFHUBD]))
    keys = {}
    group = None
    with open(os.path.join(SRCDIR, "data", "hfhubd.conf"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\[([a-z-]+)\]\s*$", line)
            if m:
                group = m.group(1)
                continue
            m = re.match(r"^#?([a-z][a-z0-9-]*)=", line)
            if m and group:
                keys.setdefault(group, set()).add(m.group(1))
    problems = [] if keys else ["no keys found in data/hfhubd.conf"]
    documented = {}
    for s in sections_named(sections, "CONFIGURATION"):
        if s.ss:
            documented[s.ss.strip("[]")] = tag_words(s)
    for g, names in sorted(keys.items()):
        for k in sorted(names - documented.get(g, set())):
            problems.append("%s.%s is not an item of [%s]" % (g, k, g))
    for g, names in sorted(documented.items()):
        for k in sorted(names - keys.get(g, set())):
            problems.append("[%s] %s is not in data/hfhubd.conf" % (g, k))
    check("hfhubd.1 documents every key of data/hfhubd.conf, and no other", problems)
    env_text = " ".join(" ".join(s.text) for s in sections_named(sections, "ENVIRONMENT"))
    check("ENVIRONMENT in hfhubd.1 names the Hugging Face variables",
          ["%s is not mentioned" % n for n in
           ("HF_HUB_CACHE", "HF_HOME", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN",
            "HF_HUB_DISABLE_IMPLICIT_TOKEN")
           if not re.search(r"(?<![A-Z_])%s(?![A-Z_])" % n, env_text)])

    # git-credential-hfhub.1
    page = os.path.join(MANDIR, "git-credential-hfhub.1.in")
    check_options_section("git-credential-hfhub.1", read_man(page),
                          help_options([GIT_CREDENTIAL]))

    # the built pages
    groff = shutil.which("groff")
    for name in ("hfhub.1", "hfhubd.1", "git-credential-hfhub.1"):
        built = os.path.join(BUILDDIR, "data", "man", name)
        problems = []
        if not os.path.exists(built):
            problems.append("%s was not built" % built)
        else:
            with open(built, encoding="utf-8") as f:
                left = re.findall(r"@[A-Z_]+@", f.read())
            if left:
                problems.append("not substituted: %s" % ", ".join(sorted(set(left))))
            if groff:
                proc = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", built],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
                if proc.returncode != 0 or proc.stderr.strip():
                    problems.append("groff: " + proc.stderr.strip())
        check("%s is built and formats without warnings%s" %
              (name, "" if groff else " # SKIP groff formatting: no groff"), problems)

    print("1..%d" % len(results))
    failed = 0
    for i, (name, problems) in enumerate(results, 1):
        if problems:
            failed += 1
            print("not ok %d - %s" % (i, name))
            for p in problems:
                print("#   %s" % p)
        else:
            print("ok %d - %s" % (i, name))
    return 1 if failed else 0


def check_options_section(page, sections, options):
    documented = set()
    for s in sections_named(sections, "OPTIONS"):
        documented |= tag_options(s)
    known = set(options) | {short for short in options.values() if short}
    problems = []
    for long, short in options.items():
        if long not in documented:
            problems.append("%s is not an item of OPTIONS" % long)
        elif short and short not in documented:
            problems.append("%s is not documented with %s" % (short, long))
    for option in sorted(documented - known):
        problems.append("%s documents %s, which --help does not show" % (page, option))
    check("%s documents every option of --help in OPTIONS, and no other" % page, problems)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a crash is one failed test, not a silent pass
        print("1..1")
        print("not ok 1 - check-man crashed: %s" % e)
        sys.exit(1)
