"""Reading what Powertools printed: CloudWatch embedded-metric-format lines."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

Key = tuple[str, tuple[tuple[str, str], ...]]


def blobs(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def detailed(out: str, namespace: str = "SFR3Payments") -> Counter[Key]:
    """(metric, its dimensions other than `service`) -> summed value, from each blob's
    widest dimension set; asserts every blob also carries the `service`-only aggregate."""
    totals: Counter[Key] = Counter()
    for blob in blobs(out):
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == namespace
            sets = directive["Dimensions"]
            assert ["service"] in sets, sets
            widest = max(sets, key=len)
            dims = tuple(sorted((d, str(blob[d])) for d in widest if d != "service"))
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                totals[(metric["Name"], dims)] += sum(value) if isinstance(value, list) else value
    return totals


def by_name(out: str, namespace: str = "SFR3Payments") -> Counter[str]:
    totals: Counter[str] = Counter()
    for (name, _), value in detailed(out, namespace).items():
        totals[name] += value
    return totals
