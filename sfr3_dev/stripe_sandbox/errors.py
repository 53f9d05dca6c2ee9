"""Stripe's error answers and the request-value coercions that raise them.

Shared by every resource module of the sandbox (and re-exported from `store.py`, where
they used to live): an error is a `StripeError` carrying Stripe's JSON body, so a handler
just raises and the dispatcher answers.
"""

from __future__ import annotations

import secrets
from typing import Any

Obj = dict[str, Any]
DAY = 86_400
ID = r"([A-Za-z0-9_]+)"  # one path segment naming an object, in route patterns


def doc_url(code: str | None) -> str:
    return f"https://stripe.com/docs/error-codes/{code}"


class StripeError(Exception):
    """An error answer in Stripe's shape: `{"error": {"type", "code", "message", ...}}`."""

    def __init__(self, status: int, type_: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {"error": {"type": type_, "message": message,
                                    **{k: v for k, v in fields.items() if v is not None}}}
        if fields.get("code"):
            self.body["error"]["doc_url"] = doc_url(fields["code"])


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> StripeError:
    return StripeError(status, "invalid_request_error", message, param=param, code=code)


def missing(kind: str, id_: str, param: str = "id") -> StripeError:
    return invalid(f"No such {kind}: '{id_}'", param=param, code="resource_missing", status=404)


def unrecognized(method: str, path: str) -> StripeError:
    return invalid(f"Unrecognized request URL ({method}: {path}).", status=404)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _int(params: Obj, name: str, *, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name,
                          code="parameter_missing")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {raw}", param=name,
                      code="parameter_invalid_integer") from None


def _bool(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _str_map(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param}", param=param)
    return {str(k): str(v) for k, v in value.items()}
