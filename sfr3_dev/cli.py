"""The `sfr3` console script: one entry point for every local tool.

Subcommands import their module lazily so `sfr3 dev-token` does not pay for the
whole stack's imports.
"""

from __future__ import annotations

import importlib
import sys

from sfr3_ledger._extras import MissingExtraError, requires_extra

# subcommand -> (module with a `main(argv) -> int`, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("sfr3_dev.local_stack", "serve the whole system on loopback (what `make run` does)"),
    "demo": ("sfr3_dev.demo", "post a charge, settle a payment and print the balance"),
    "stripe-sandbox": ("sfr3_dev.stripe_sandbox.server", "run the local Stripe-compatible server"),
    "dev-token": ("sfr3_dev.tokens", "print a bearer token signed by the local development key"),
    "analytics": ("sfr3_dev.analytics", "run the finance queries on the local events lake"),
    "reconcile": ("sfr3_dev.finance", "reconcile a day against Stripe (default: yesterday)"),
    "jobs": ("sfr3_dev.jobs", "run the daily jobs (recurring charges, late fees) for a day"),
}


def _usage() -> str:
    lines = ["usage: sfr3 <command> [options]   (sfr3 <command> --help for its options)",
             "       sfr3 --version", "", "commands:"]
    lines += [f"  {name:<16}{text}" for name, (_, text) in COMMANDS.items()]
    return "\n".join(lines)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("sfr3-payments")
    except PackageNotFoundError:  # running from a checkout that was never pip-installed
        return "unknown (not installed)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in {"-h", "--help"}:
        print(_usage())
        return 0
    if args and args[0] == "--version":
        print(f"sfr3 {version()}")
        return 0
    if not args or args[0] not in COMMANDS:
        # A usage error: on stderr, exit 2 (what argparse does for the subcommands).
        problem = f"unknown command {args[0]!r}" if args else "a command is required"
        print(f"{_usage()}\n\nsfr3: error: {problem}", file=sys.stderr)
        return 2
    try:
        # Everything the commands import comes with the `local` extra: say so, not a traceback.
        with requires_extra("local"):
            module = importlib.import_module(COMMANDS[args[0]][0])
            return int(module.main(args[1:]) or 0)
    except MissingExtraError as error:
        print(f"sfr3: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
