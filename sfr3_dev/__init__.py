"""Local development tooling: never bundled into a Lambda.

The local Stripe-compatible server, the local stack behind `make run`, dev tokens and
the analytics CLI live here so that the deployable packages stay small.
"""
