#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# doc/berth.1 against the CLI: every command that `berth --help` lists has an entry in COMMANDS,
# and every option that `berth COMMAND --help` (and `berth --help`) shows is in the man page,
# within that command's entries. TAP on stdout; no root needed.
set -u
man=${BERTH_SRCDIR:-.}/doc/berth.1
bin=${BERTH_BIN:-./berth}
if [ ! -x "$bin" ] || [ ! -f "$man" ]; then
        echo "1..0 # SKIP berth or doc/berth.1 not found (run via make check)"
        exit 0
fi
exec python3 - "$bin" "$man" <<'PY'
import re, subprocess, sys

binary, man = sys.argv[1], sys.argv[2]
n = 0
failed = 0

def result(ok, desc, diag=None):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, desc))
    if not ok and diag:
        for line in diag.splitlines():
            print("#   " + line)

def helptext(*args):
    p = subprocess.run([binary, *args, "--help"], capture_output=True, text=True)
    return p.returncode, p.stdout

def options(text):
    """The long and short options of a help text's option lines."""
    opts = set()
    for line in text.splitlines():
        if re.match(r"^\s+-", line):
            head = re.split(r"\s{2,}", line.strip())[0]
            opts.update(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", head))
    return opts

roff = open(man).read()
# The man page in its source form, with roff's escaped dashes and font changes made plain.
plain = re.sub(r"\\f[BIRP]", " ", roff.replace("\\-", "-"))
sections = re.split(r"^\.SH ", plain, flags=re.M)
commands_sec = next(s for s in sections if s.startswith("COMMANDS"))
global_sec = next(s for s in sections if s.startswith("GLOBAL OPTIONS"))

# Items of COMMANDS: a .TP heading line and what follows it, up to the next top-level .TP
# (nested .RS/.RE items stay with their command).
items = []
depth = 0
cur = None
lines = commands_sec.splitlines()
i = 0
while i < len(lines):
    line = lines[i]
    if line.startswith(".RS"):
        depth += 1
    elif line.startswith(".RE"):
        depth -= 1
    if line.startswith(".TP") and depth == 0 and i + 1 < len(lines):
        heading = lines[i + 1]
        word = re.match(r'^\.[BIR]+ +"?([a-z][a-z-]*)', heading)
        cur = [word.group(1) if word else "", heading]
        items.append(cur)
        i += 2
        continue
    if cur is not None:
        cur.append(line)
    i += 1

def entries(verb):
    return "\n".join("\n".join(it[1:]) for it in items if it[0] == verb)

rc, top = helptext()
result(rc == 0, "berth --help exits 0")
verbs = []
in_cmds = False
for line in top.splitlines():
    if line.startswith("Commands:"):
        in_cmds = True
        continue
    if in_cmds:
        m = re.match(r"^  ([a-z][a-z-]*)\s", line)
        if m:
            verbs.append(m.group(1))
        elif line.strip() == "":
            in_cmds = False
result(len(verbs) > 10, "berth --help lists the commands (%d)" % len(verbs))

for opt in sorted(options(top)):
    result(re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", global_sec) is not None,
           "global option %s is in GLOBAL OPTIONS" % opt)

for verb in verbs:
    if verb == "help":
        continue
    text = entries(verb)
    result(bool(text), "command '%s' has an entry in COMMANDS" % verb)
    rc, h = helptext(verb)
    if verb == "top":
        continue  # its options are berth-tui's, documented in berth-tui(1)
    result(rc == 0 and h.startswith("Usage: berth " + verb), "berth %s --help shows its usage" % verb)
    for opt in sorted(options(h) - {"-h", "--help"}):
        ok = re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text) is not None
        result(ok, "berth %s: option %s is in its man entry" % (verb, opt))

print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
