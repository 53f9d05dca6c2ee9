"""Projections of the event log into tables of their own, each rebuildable from events.

Anything that must find residents across the portfolio (who is due today, whose rent is
past its grace period) reads one of these instead of scanning every resident's ledger.
"""
