"""A local, stateful Stripe-compatible server for tests and `make run` (never deployed)."""

from sfr3_dev.stripe_sandbox.server import StripeSandbox
from sfr3_dev.stripe_sandbox.webhooks import sign

__all__ = ["StripeSandbox", "sign"]
