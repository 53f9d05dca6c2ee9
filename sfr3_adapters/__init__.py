"""Adapters: the outside world (AWS, Stripe) behind the ledger's ports."""
