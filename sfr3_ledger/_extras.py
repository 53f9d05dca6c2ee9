"""Which pip extra of sfr3-payments provides which optional import, and the message a user
sees when one is missing.

`pip install sfr3-payments` is the pure ledger; the adapters, the Lambdas, the `sfr3`
command and the hypothesis laws need extras. Without this, forgetting one ends in a
`ModuleNotFoundError: No module named 'duckdb'` traceback from deep inside the stack,
which says neither what to install nor that the install, not the code, is at fault.
tests/test_packaging.py keeps `PROVIDED_BY` in step with pyproject.toml.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

DISTRIBUTION = "sfr3-payments"

# top-level import name -> the extra of sfr3-payments that installs it
PROVIDED_BY: dict[str, str] = {
    "aws_lambda_powertools": "aws",
    "pydantic": "aws",  # through aws-lambda-powertools[parser]
    "boto3": "aws",
    "botocore": "aws",
    "cattrs": "aws",
    "cattr": "aws",  # cattrs' old name, installed with it
    "fpdf": "aws",
    "stripe": "stripe",
    "pyarrow": "local",
    "duckdb": "local",
    "altair": "local",
    "vl_convert": "local",
    "jwt": "local",
    "cryptography": "local",
    "hypothesis": "testing",
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed: names the extra and the pip command."""

    def __init__(self, extra: str, module: str | None = None) -> None:
        self.extra = extra
        self.module = module
        super().__init__(missing_extra_message(extra, module), name=module)


def missing_extra_message(extra: str, module: str | None = None) -> str:
    """One line a user can act on: which extra is missing and how to install it."""
    because = f" (no module named {module!r})" if module else ""
    return (f"{DISTRIBUTION}[{extra}] is not installed{because}: "
            f"pip install '{DISTRIBUTION}[{extra}]'")


def extra_for(error: ModuleNotFoundError) -> str | None:
    """The extra that provides the module `error` could not import, None if it is not
    an optional dependency (a real bug then, which must keep its traceback)."""
    if not error.name:
        return None
    return PROVIDED_BY.get(error.name.partition(".")[0])


@contextlib.contextmanager
def requires_extra(extra: str) -> Iterator[None]:
    """Turn a missing optional dependency inside the block into a `MissingExtraError`
    naming `extra` (the extra the caller documents it needs, which may be a superset such
    as `local`), so the user is told what to pip install instead of seeing a traceback.
    Import errors of anything that is not an optional dependency pass through unchanged.
    """
    try:
        yield
    except ModuleNotFoundError as error:
        if extra_for(error) is None:
            raise
        raise MissingExtraError(extra, error.name) from error
