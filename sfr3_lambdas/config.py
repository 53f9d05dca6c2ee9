"""Environment configuration checked at cold start, with errors that name the variable.

Every Lambda is configured by environment variables (docs/operations.md, "Configuration",
has the table of all of them). A typo there used to surface as a KeyError or a
`ValueError: could not convert string to float` deep inside the first request; here the
variables whose absence or bad value would break a function are checked the first time
wiring builds anything (the cold start's first request; `make run` at start-up), and the
error says which variable, what is wrong and what is expected.

Only what is read by name is checked: optional variables must parse when they are set,
required ones must be set and non-empty. Local defaults (sfr3_dev/local_stack.py sets the
`make run` environment) pass unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

DOC = "docs/operations.md#configuration"


class ConfigError(RuntimeError):
    """A missing or malformed environment variable (its name is `variable`)."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"environment variable {variable} {problem} (see {DOC})")
        self.variable = variable


def _url(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http(s) URL")


def _int_at_least(low: int) -> Callable[[str], None]:
    def check(value: str) -> None:
        if int(value) < low:
            raise ValueError(f"an integer >= {low}")

    return check


def _positive_float(value: str) -> None:
    if not float(value) > 0:
        raise ValueError("a number > 0")


def _fraction(value: str) -> None:
    if not 0 <= float(value) <= 1:
        raise ValueError("a number between 0 and 1")


def cors_origins(value: str) -> list[str]:
    """`SFR3_CORS_ORIGINS`: comma-separated origins, each `http(s)://host[:port]` exactly
    (no path, no trailing slash, no `*`: a browser sends the origin in that form)."""
    out = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or \
                f"{parts.scheme}://{parts.netloc}" != item:
            raise ValueError(f"{item!r} is not an origin")
        out.append(item)
    return out


def _origins(value: str) -> None:
    cors_origins(value)


# The shape each typed variable must have when set; what it means is in docs/operations.md.
CHECKS: dict[str, tuple[Callable[[str], None], str]] = {
    "STRIPE_SERVICE_URL": (_url, "an http(s) URL"),
    "STRIPE_API_BASE": (_url, "an http(s) URL"),
    "DYNAMODB_ENDPOINT_URL": (_url, "an http(s) URL"),
    "STRIPE_SERVICE_TIMEOUT": (_positive_float, "a number of seconds > 0"),
    "STRIPE_TIMEOUT_SECONDS": (_positive_float, "a number of seconds > 0"),
    "STRIPE_MAX_NETWORK_RETRIES": (_int_at_least(0), "an integer >= 0"),
    "STRIPE_RATE_LIMIT_PER_SECOND": (_positive_float, "a number > 0"),
    "JOBS_PAYMENTS_CONCURRENCY": (_int_at_least(1), "an integer >= 1"),
    "IDEMPOTENCY_TTL_SECONDS": (_int_at_least(1), "an integer >= 1"),
    "SFR3_PARAMETER_MAX_AGE": (_int_at_least(0), "an integer >= 0"),
    "PAYMENT_FAILURE_RATE_THRESHOLD": (_fraction, "a number between 0 and 1"),
    "SFR3_CORS_ORIGINS": (_origins, "comma-separated origins like https://app.example.com"),
}

# What each part of wiring cannot work without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "provider": ("STRIPE_SERVICE_URL", "STRIPE_SERVICE_API_KEY"),
}


def validate(required: Iterable[str] = (), env: Mapping[str, str] | None = None) -> None:
    """Raise ConfigError for the first required variable missing, or set variable malformed."""
    source = os.environ if env is None else env
    for name in required:
        if not (source.get(name) or "").strip():
            raise ConfigError(name, "is missing or empty")
    for name, (check, expected) in CHECKS.items():
        value = source.get(name)
        if value is None or value == "":
            continue
        try:
            check(value.strip())
        except ValueError:
            raise ConfigError(name, f"is {value!r}, expected {expected}") from None


def validate_for(part: str, env: Mapping[str, str] | None = None) -> None:
    """Check what `part` of the wiring (a key of REQUIRED) needs, and every typed variable."""
    validate(REQUIRED.get(part, ()), env)
