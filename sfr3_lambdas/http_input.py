"""What every HTTP handler accepts as a path and as a JSON body: one parser, one answer.

Two parsers of the same request must never disagree, so the ambiguous spellings are
refused before anything routes, authorises or writes:

- **Paths** must be canonical: `/` followed by non-empty segments, no trailing slash, no
  `.` or `..` segment, no percent-encoding (so no encoded `/`), no whitespace or control
  characters. API Gateway matches resources by their template and hands the Lambda the
  path as the client spelled it (trailing and doubled slashes included), so the Lambda
  cannot rely on API Gateway's matching and refuses every other spelling itself; the
  local gateway (`sfr3_dev/gateway.py`) applies the same rule before it dispatches.
- **JSON bodies** must be exactly one JSON object with unique keys, nested at most
  `MAX_DEPTH` levels, at most `MAX_BODY_BYTES` long. `json.loads` alone would take the
  last of two duplicate keys, accept an array whose first element Powertools' validation
  then uses, and overflow the interpreter's stack on deep nesting (a 500).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 16
MAX_BODY_BYTES = 256 * 1024
# Stripe's events: nested objects several levels deep, up to a few hundred KB.
PROVIDER_MAX_DEPTH = 64
PROVIDER_MAX_BYTES = 4 * 1024 * 1024
# A segment: any printable character but `/`, `%`, `\`, whitespace and the URI-unsafe ones.
_SEGMENT = re.compile(r"^[^/%\\\s\x00-\x1f\x7f<>\"{}|^`\[\]]+$")


class BadInput(ValueError):
    """The request cannot be read as this API reads requests (400)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def check_path(path: str) -> None:
    """Raise BadInput unless `path` is in canonical form (see the module docstring)."""
    if not path.startswith("/") or path == "/":
        raise BadInput("Path is not in canonical form", "invalid_path")
    for segment in path[1:].split("/"):
        if segment in ("", ".", "..") or not _SEGMENT.match(segment):
            raise BadInput(
                "Path is not in canonical form (no empty, '.' or '..' segments, no "
                "trailing slash, no percent-encoding)",
                "invalid_path",
            )


def _depth(text: str) -> int:
    """Deepest `[`/`{` nesting outside strings (cheap, so deep input never reaches json)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadInput(f"Duplicate key in JSON body: {key!r}", "invalid_json")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise BadInput(f"{name} is not JSON", "invalid_json")


def parse_object(text: str, *, max_depth: int = MAX_DEPTH,
                 max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as one JSON object with unique keys, or BadInput.

    The API's own bodies are flat; Stripe's events (webhook, and the stripeService calls
    that carry them) nest deeper and are larger, so those callers pass wider bounds."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise BadInput(f"Request body is larger than {max_bytes} bytes", "body_too_large")
    if _depth(text) > max_depth:
        raise BadInput(f"JSON body is nested deeper than {max_depth} levels", "invalid_json")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except RecursionError:  # unreachable after the depth check; never a 500 all the same
        raise BadInput("JSON body is nested too deeply", "invalid_json") from None
    except ValueError as exc:
        if isinstance(exc, BadInput):
            raise
        raise BadInput("Request body must be valid JSON", "invalid_json") from None
    if not isinstance(value, dict):
        raise BadInput("Request body must be a JSON object", "invalid_json")
    return value
