#!/usr/bin/env python3
"""Draft classifier for the spine's gate registry (a dev tool; CI never runs it).

    bench/classify-registry.py /path/to/spine > /tmp/draft.yaml

For every gate of ops/bindings/gate.registry.yaml it follows the gate's
check_script into the spine scripts it names (exec/bash/source/python of a
path under ops/ or surfaces/ or bin/), greps each for signs of what it reads,
and prints a draft of gates/registry.classes.yaml:

  static      only spine files
  cross-repo  also the workbench or legacy (ronny-ops) checkouts
  runtime     network, SSH, tailscale, docker, launchd/systemd, secrets,
              host files outside the checkouts, gitignored local state of the
              spine (mailroom state and logs, session receipts), git state
              beyond the files

Gates whose evidence comes only from scripts two or more calls away, or from
words that are often just text (a file named ssh.targets.yaml), get
`unsure: true`: read those scripts and correct the entry by hand, then drop
the flag. The output carries no script text: only IDs, classes and
driftgate's own evidence words.
"""
import os
import re
import sys

import yaml

SPINE = sys.argv[1] if len(sys.argv) > 1 else "/work/spine"
REG = "ops/bindings/gate.registry.yaml"

# Evidence word -> (class, regex). Checked on each script with comments removed.
SIGNS = [
    ("curl", "runtime", r"(?<![\w.-])(curl|wget)\s"),
    ("tls", "runtime", r"openssl\s+s_client"),
    ("http-client", "runtime", r"urllib\.request|requests\.(get|post)|http\.client|socket\.create_connection"),
    ("ssh", "runtime", r"(?<![\w./-])(ssh|scp|rsync)\s+(-[a-zA-Z]|\"\$|\$)|\[\s*[\"']ssh[\"']\s*,|command -v ssh\b"),
    ("ssh-resolve", "runtime", r"ssh-resolve\.sh"),
    ("tailscale", "runtime", r"(?<![\w/-])tailscale\s|require_tailscale"),
    ("docker", "runtime", r"(?<![\w/.-])docker(\s+(ps|exec|inspect|compose|run|logs|images|volume|network|stats)|-compose\s)"),
    ("launchctl", "runtime", r"launchctl\s"),
    ("systemd", "runtime", r"systemctl\s|journalctl\s"),
    ("secrets", "runtime", r"secrets-exec\b[^\n]*--|exec\s+\"\$SECRETS_EXEC\"|\"\$\{?\w*(INFISICAL_AGENT|AGENT)\}?\"\s+(get|export|list|set)|infisical-agent\.sh\"?\s+(get|export|list)|command -v infisical|(^|[\s(])infisical\s+(secrets|export|run|login|user)"),
    ("dns", "runtime", r"(?<![\w-])(dig|nslookup)\s+[-+\w@$\x22]"),
    ("ping", "runtime", r"(?<![\w-])(ping|nc)\s+-"),
    ("git-branches", "runtime", r"git\b[^\n|;]*\s[\"']?(branch|worktree|remote|fetch|ls-remote|stash|reflog|push|pull)\b|\borigin/(main|master|HEAD)\b|refs/remotes/"),
    ("git-status", "runtime", r"git\b[^\n|;]*\s[\"']?(status|rev-parse\s+--abbrev-ref|symbolic-ref)\b"),
    ("host-files", "runtime", r"(\$HOME|\$\{HOME\}|~)/(Library|Desktop|Documents|\.(?!local/bin)[a-z][\w-]*|code/(?!agentic-spine|workbench)[\w.])"),
    ("local-state", "runtime", r"mailroom/(logs|inbox)/|mailroom/outbox/(?!(domains|intake)\b)|mailroom/state/(?!(loop-scopes|vaultwarden-audit|tailscale-audit|plans|orchestration|sessions|extension-transactions)\b)[\w.-]+|receipts/sessions|shared_authority\.db"),
    ("processes", "runtime", r"(?<![\w-])(pgrep|ps\s+(aux|-ef|-p)|lsof\s)"),
    ("gh-cli", "runtime", r"(?<![\w/-])gh\s+(api|pr|issue|run|repo)"),
    ("cloud-api", "runtime", r"(?<![\w/-])(wrangler\s|op\s+read\s|aws\s+\w)"),
    ("workbench", "cross-repo", r"workbench_root|WORKBENCH_ROOT|SPINE_WORKBENCH|code/workbench\b|\bWORKBENCH=|\$\{?WORKBENCH\b"),
    ("legacy", "cross-repo", r"\bLEGACY_ROOT=[\"']?\$|\$\{?LEGACY_ROOT\}?/|(\$HOME|\$\{HOME\}|~)/ronny-ops/\w"),
    ("git-history", "static", r"git\b[^\n|;]*\s[\"']?(log|show|diff|ls-files|rev-list|cat-file|merge-base)\b"),
]
# Sourced helpers whose words say nothing about the gate that sources them.
NEUTRAL_LIBS = {"ops/lib/resolve-policy.sh", "ops/lib/runtime-paths.sh", "ops/lib/yaml.sh",
                "ops/lib/registry.sh", "ops/lib/governance.sh", "ops/lib/receipt_stamps.sh",
                "ops/lib/git-lock.sh"}
PATH_RE = re.compile(r"((?:ops/plugins|ops/lib|ops/runtime|ops/commands|surfaces)/[\w./-]+|bin/ops)")
RANK = {"static": 0, "cross-repo": 1, "runtime": 2}


def read(rel):
    try:
        with open(os.path.join(SPINE, rel), encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def strip_comments(text):
    out = []
    for line in text.splitlines():
        s = line.lstrip()
        if s.startswith("#") and not s.startswith("#!"):
            continue
        # echo/printf lines are messages, not reads
        if re.match(r"(echo|printf|log|fail|warn|err|die|note|print)\b", s):
            continue
        # nor are the quoted messages of fail/err/... calls later in a line
        line = re.sub(r"\b(fail|err|error|echo|print|die|stop|warn|ok|printf|note_\w+|precondition_fail|append)\s*\(?\s*f?(\"[^\"]*\"|'[^']*')", "", line)
        out.append(line)
    # one logical line per command: join backslash continuations
    return re.sub(r"\\\n\s*", " ", "\n".join(out))


def is_script(rel):
    p = os.path.join(SPINE, rel)
    if not os.path.isfile(p) or rel.endswith((".yaml", ".yml", ".md", ".json", ".txt")):
        return False
    return True


CMD_POS = r"(^|[;&|(!{]|\bexec|\bbash|\bsh|\bsource|\bif|\bthen|\bdo|\bwhile|\buntil|\bpython3|\btimeout\s+\S+|\$\(|`)\s*"


def runs(text, line, rel):
    """Does `line` (naming spine path `rel`) run it, directly or via a variable?"""
    pos = line.find(rel)
    before = line[:pos]
    if re.match(r"\s*[\"']?[\w${}./-]+[\"']?\s*[,)\\]?\s*$", line):
        return False  # a list element: data, not a call
    # the path at command position, or after exec/bash/source/python3
    if re.search(CMD_POS + r"[\"']?(\$\{?\w+\}?/)?[\"']?$", before):
        return True
    if re.search(r"(exec|bash|sh|source|python3?)\s+[\"']?\$?\{?\w*\}?/?$", before.strip()):
        return True
    # an argument of a function of this script that runs its argument
    first = re.match(r"\s*(?:if\s+!?\s*)?(\w+)\s", line)
    if first and first.group(1) in runner_functions(text):
        return True
    m = re.match(r"\s*(?:local\s+|readonly\s+|export\s+)?(\w+)=", line)
    if m:
        var = re.escape(m.group(1))
        used = r"[\"']?\$\{?" + var + r"\}?[\"']?"
        if re.search(r"(?m)" + CMD_POS + used + r"(\s+[^\s)\\]|\s*(;|&&|\|\||>))", text) or re.search(
            r"\$\(\s*" + used + r"\s*\)", text
        ):
            return True
        if re.search(r"\[\s*[\"']?(bash|python3)[\"']?\s*,\s*\w*" + var, text) or re.search(r"run\(\[[^]]*\b" + var, text):
            return True
    return False


def runner_functions(text):
    """Names of shell functions whose body runs one of their arguments."""
    names = set()
    for m in re.finditer(r"(?m)^\s*(?:function\s+)?(\w+)\s*\(\)\s*\{(.*?)^\s*\}", text, re.S):
        body = m.group(2)
        if re.search(r"(bash|exec|python3|timeout\s+\S+)\s+\"\$\{?\w+\}?\"|^\s*\"\$\{?(script|cmd|bin|path|[0-9])\}?\"", body, re.M):
            names.add(m.group(1))
    return names


def closure(start, depth_max=3):
    """[(rel, depth)] of start and the spine scripts it runs, breadth first."""
    seen = {start: 0}
    queue = [start]
    while queue:
        cur = queue.pop(0)
        d = seen[cur]
        text = read(cur)
        if text is None or d >= depth_max:
            continue
        body = strip_comments(text)
        for line in body.splitlines():
            for m in PATH_RE.finditer(line):
                rel = m.group(1).rstrip(".")
                if rel == cur or rel in seen or not is_script(rel):
                    continue
                if not runs(body, line, rel):
                    continue
                seen[rel] = d + 1
                if rel == "bin/ops":
                    continue  # the cap runner: noted, not followed
                queue.append(rel)
    return sorted(seen.items(), key=lambda x: (x[1], x[0]))


def classify(script):
    files = closure(script)
    evidence = {}  # word -> min depth
    notes = []
    for rel, depth in files:
        if rel == "bin/ops":
            evidence.setdefault("ops-cap-runner", depth)
            continue
        if rel in NEUTRAL_LIBS:
            continue
        text = strip_comments(read(rel) or "")
        for word, _cls, rx in SIGNS:
            if re.search(rx, text):
                evidence[word] = min(depth, evidence.get(word, 99))
    cls = "static"
    for word in evidence:
        c = next((c for w, c, _ in SIGNS if w == word), "static")
        if RANK[c] > RANK[cls]:
            cls = c
    unsure = False
    decisive = [w for w in evidence if next((c for x, c, _ in SIGNS if x == w), "static") == cls]
    if cls != "static" and all(evidence[w] >= 2 for w in decisive):
        unsure = True
    if set(decisive) <= {"host-files", "local-state", "git-status", "processes", "dns", "ping"} and cls == "runtime":
        unsure = True
    if "ops-cap-runner" in evidence:
        unsure = True
    plugins = sorted({r.split("/")[2] for r, d in files if r.startswith("ops/plugins/") and d >= 1})
    return cls, sorted(evidence), plugins, unsure


def main():
    with open(os.path.join(SPINE, REG), encoding="utf-8") as f:
        reg = yaml.safe_load(f)
    print("# Draft from bench/classify-registry.py; read the unsure ones and correct by hand.")
    print("gates:")
    for g in reg["gates"]:
        gid = str(g["id"])
        script = g.get("check_script") or ""
        if not script or read(script) is None:
            print(f"  {gid}: {{class: static, reads: [], note: no check_script to read, unsure: true}}")
            continue
        cls, ev, plugins, unsure = classify(script)
        line = f"  {gid}: {{class: {cls}, reads: [{', '.join(ev)}]"
        if plugins:
            line += f", via: [{', '.join(plugins)}]"
        if g.get("inline"):
            # the shared script's words are every inline gate's: judge each by hand
            unsure = True
        if unsure:
            line += ", unsure: true"
        print(line + "}")


if __name__ == "__main__":
    main()
