"""How fast the backbone turns stored events into envelopes and into the local lake.

    .venv/bin/python bench/backbone_bench.py [--residents 200]

Prints: envelope mapping rate (decode + map, in memory) and the local backbone's rate
from an SQLite ledger to the lake, mail and receipts. Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sfr3_dev.backbone import LocalBackbone
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for


def populate(app: LedgerApplication, residents: int) -> None:
    for n in range(residents):
        rid = f"res-{n}"
        method = app.enroll_payment_method(
            rid, provider_id=f"pm_{n}", method_type="CARD", last4="4242", brand="visa", actor=rid
        )
        app.post_charge(
            rid,
            amount=210000,
            charge_type="RENT",
            description="Rent",
            actor="pm",
            property_id=f"p-{n % 50}",
            us_state="TX",
        )
        pid = app.initiate_payment(
            rid, amount=210000, method_id=method.method_id, actor=rid
        ).payment.payment_id
        app.settle_payment(rid, pid, stripe_ref=f"pi_{n}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        app = LedgerApplication(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(home / "ledger.db"),
            }
        )
        populate(app, args.residents)
        notifications = app.recorder.select_notifications(start=None, limit=1_000_000)

        start = time.perf_counter()
        events = [app.mapper.to_domain_event(n) for n in notifications]
        envelopes = envelopes_for(events, ResidentResolver())
        mapped = time.perf_counter() - start
        print(f"notifications: {len(notifications)}, envelopes: {len(envelopes)}")
        print(f"decode+map: {len(notifications) / mapped:,.0f} events/s")

        backbone = LocalBackbone(app, home)
        start = time.perf_counter()
        backbone.run_until_caught_up()
        elapsed = time.perf_counter() - start
        print(
            f"local backbone (lake + mail + PDF receipts): "
            f"{len(notifications) / elapsed:,.0f} events/s, "
            f"{args.residents / elapsed:,.1f} receipts/s, {elapsed:.2f}s total"
        )


if __name__ == "__main__":
    main()
