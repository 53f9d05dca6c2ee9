"""Input checks the ledger's commands share (free text, US state codes).

It lives apart from ledger.py so the aggregate's module holds only its state, events and
commands, and so the rules for what text may enter a money record sit in one place.
Every failure is an InvalidCommand (a 400 at the API).
"""

from __future__ import annotations

import unicodedata

from sfr3_ledger.errors import InvalidCommand
from sfr3_ledger.values import US_STATES

# Free text ends up in mail headers, PDFs and CSV exports: control characters (NUL, CR,
# LF, ...), lone surrogates and Unicode line/paragraph separators are refused.
UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})


def valid_text(value: object, field: str, *, max_len: int = 500, required: bool = True) -> str:
    """`value` if it is printable text of at most `max_len` characters (non-blank if required)."""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCommand(f"{field} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidCommand(f"{field} must be at most {max_len} characters")
    if any(unicodedata.category(ch) in UNPRINTABLE for ch in value):
        raise InvalidCommand(f"{field} must not contain control characters or line breaks")
    return value


def valid_us_state(value: str | None) -> str | None:
    """`value` if it is None or a two-letter US state code."""
    if value is None:
        return None
    if value not in US_STATES:
        raise InvalidCommand("state must be a two-letter US state code")
    return value
