"""Run the README's "End-to-end walkthrough" against a running local stack.

The walkthrough is a sequence of ```bash blocks, each followed by a ```text block holding
the real output. `run(...)` executes the bash blocks in order, in one shell (variables
carry over), with the API URL, resident id and SFR3_HOME pointed at the given stack, and
returns each block's output. Between blocks it waits for the sandbox's webhook queue to
drain (a human typing the next command is slower than a webhook).

`python -m tests.e2e.walkthrough` starts a fresh stack and rewrites the text blocks of
README.md with what the commands really print.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
START, END = "<!-- walkthrough:start -->", "<!-- walkthrough:end -->"
API_DEFAULT = "http://127.0.0.1:8000"
RESIDENT = "res-1"
MARK = "@@sfr3-walkthrough-block@@"
FENCE = "```"
PAIR = re.compile(
    rf"{FENCE}bash\n(?P<cmd>(?:(?!{FENCE}).)*){FENCE}\n+{FENCE}text\n(?P<out>(?:(?!{FENCE}).)*){FENCE}",
    re.S,
)

_VOLATILE = [
    # Receipts are written asynchronously by the event backbone: present or not yet.
    (re.compile(r', "receiptUrl": "[^"]*"'), ""),
    (re.compile(r"\b(meth|chg|pay|re|cus|pi|ch|evt)_[0-9A-Za-z]{16,}"), r"\1_…"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00"), "<time>"),
    # `sfr3 analytics` groups by day (UTC): today's date.
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
]


def section(text: str | None = None) -> str:
    text = README.read_text() if text is None else text
    return text[text.index(START):text.index(END)]


def pairs(text: str | None = None) -> list[tuple[str, str]]:
    return [(m["cmd"], m["out"]) for m in PAIR.finditer(section(text))]


def normalise(output: str) -> str:
    for pattern, repl in _VOLATILE:
        output = pattern.sub(repl, output)
    return output.strip()


def run(api_url: str, home: Path, sandbox_url: str, resident: str = RESIDENT) -> list[str]:
    script = ["set -e"]
    for cmd, _ in pairs():
        script.append(cmd.replace(API_DEFAULT, api_url).replace(RESIDENT, resident))
        script.append(f"curl -s -o /dev/null -X POST {sandbox_url}/_sandbox/webhooks/drain "
                      "-H 'Content-Type: application/json' -d '{\"timeout\": 30}'")
        script.append(f"echo {MARK}")
    env = {**os.environ, "SFR3_HOME": str(home)}
    with tempfile.TemporaryDirectory() as scratch:
        env["TMPDIR"] = scratch
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"walkthrough failed ({done.returncode}):\n{done.stdout}\n"
                           f"{done.stderr}")
    return [part.strip("\n") for part in done.stdout.split(MARK + "\n")[:-1]]


def regenerate() -> None:
    from sfr3_dev.local_stack import LocalStack

    with tempfile.TemporaryDirectory() as home, \
            LocalStack(Path(home), port=0, run_scheduler=False) as stack:
        assert stack.sandbox is not None
        outputs = run(stack.url, Path(home), stack.sandbox.url)
        root = str(Path(home).resolve())
        outputs = [o.replace(stack.url, API_DEFAULT).replace(root, "/path/to/.sfr3")
                   for o in outputs]
    text = README.read_text()
    head, rest = text.split(START, 1)
    body, tail = rest.split(END, 1)
    it = iter(outputs)
    body = PAIR.sub(lambda m: f"```bash\n{m['cmd']}```\n\n```text\n{next(it)}\n```", body)
    README.write_text(head + START + body + END + tail)
    print(f"rewrote {len(outputs)} outputs in {README}")


if __name__ == "__main__":
    regenerate()
    sys.exit(0)
