"""Stripe's request encoding: form fields with bracketed keys (`metadata[a]=1`, `expand[]=x`).

The SDK flattens nested params this way for every v1 call (POST bodies and GET queries);
decoding them back into dicts and lists lets the store work on plain Python values.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\]]*)\]")


def decode(body: str) -> dict[str, Any]:
    """Decode `a[b][0]=x&c[]=y` into `{"a": {"b": ["x"]}, "c": ["y"]}`."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        head, _, rest = key.partition("[")
        parts = [head, *_PART.findall("[" + rest)] if rest else [head]
        _put(root, parts, value)
    return _listify(root)


def _put(node: dict[str, Any], parts: list[str], value: str) -> None:
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":  # `a[]=v` appends
            seq = node.setdefault("\0list", [])
            if last:
                seq.append(value)
                return
            child: dict[str, Any] = {}
            seq.append(child)
            node = child
            continue
        if last:
            node[part] = value
            return
        node = node.setdefault(part, {})


def _listify(value: Any) -> Any:
    """Turn `{"\0list": [...]}` and `{"0": .., "1": ..}` nodes into lists."""
    if not isinstance(value, dict):
        return value
    if "\0list" in value:
        return [_listify(v) for v in value["\0list"]]
    if value and all(k.isdigit() for k in value):
        return [_listify(value[k]) for k in sorted(value, key=int)]
    return {k: _listify(v) for k, v in value.items()}
