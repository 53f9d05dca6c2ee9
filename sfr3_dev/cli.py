"""The `sfr3` console script: one entry point for every local tool.

Subcommands import their module lazily so `sfr3 dev-token` does not pay for the
whole stack's imports.
"""

from __future__ import annotations

import importlib
import sys

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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"} or args[0] not in COMMANDS:
        print("usage: sfr3 <command> [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:<16}{text}")
        return 0 if args and args[0] in {"-h", "--help"} else 2
    module = importlib.import_module(COMMANDS[args[0]][0])
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
