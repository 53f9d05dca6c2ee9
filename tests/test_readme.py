"""The README's library example is executed, so it cannot drift from the code."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_library_example_runs() -> None:
    text = README.read_text()
    block = re.search(r"<!-- example:start -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README lost its library example"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) <= 7, "the example should stay a handful of lines"
    exec(compile(block.group(1), "README.md", "exec"), {})
