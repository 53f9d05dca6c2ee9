"""Write `docs/openapi.json` from the API's routes (Powertools' own OpenAPI generator).

`python -m sfr3_dev.openapi` rewrites the file; `--check` exits 1 when it is stale (the
test `tests/api/test_openapi.py` does the same). Paths carry no stage prefix: the local
server serves them as-is, and deployed they sit under `https://<api>/<stage>`. What the
document says (titles, security, the success and error bodies of each route) is declared
in the code: `sfr3_lambdas/api/contract.py` and each route's `responses=answers(...)`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def render() -> str:
    from aws_lambda_powertools.event_handler.openapi.models import Server

    from sfr3_lambdas.api import app, contract

    raw = app.get_openapi_json_schema(
        servers=[Server(url="http://127.0.0.1:8000", description="make run")],
        **contract.document_options(),
    )
    return json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sfr3_dev.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is stale")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is stale: run `python -m sfr3_dev.openapi`", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
