"""`sfr3 demo`: the ledger in one breath, on SQLite under $SFR3_HOME (default .sfr3)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sfr3_ledger import LedgerApplication


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 demo", description=__doc__)
    parser.add_argument("--home", default=os.environ.get("SFR3_HOME", ".sfr3"))
    args = parser.parse_args(argv)
    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    app = LedgerApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(home / "demo.db")}
    )
    resident = "res-demo"
    method = app.enroll_payment_method(
        resident, provider_id="pm_demo_visa", method_type="CARD", last4="4242", actor=resident
    )
    charge = app.post_charge(
        resident, amount=2100, charge_type="RENT", description="Rent", actor="pm-demo"
    )
    print(f"posted {charge.charge_type} {charge.amount} cents; balance {app.balance(resident)}")
    started = app.initiate_payment(
        resident, amount=2100, method_id=method.method_id, actor=resident
    )
    print(f"payment {started.payment.payment_id} PENDING; balance {app.balance(resident)}")
    app.settle_payment(resident, started.payment.payment_id, stripe_ref="pi_demo")
    print(f"payment settled; balance {app.balance(resident)} cents")
    return 0
