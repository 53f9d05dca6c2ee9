"""Reconciliation, the pure part: Stripe's balance transactions of a day vs the ledger's.

`match` takes what Stripe listed for a UTC day and the settled facts of that day
(read_models/settled_by_day.py) and classifies every item once:

- `matched`: the same fact on both sides, same amount;
- `amount_mismatch`: the same fact (same Stripe id), different amounts;
- `missing_in_ledger`: Stripe moved money the ledger does not show (a lost webhook, a
  refund made in Stripe's dashboard). `healed` says the reconciliation settled the
  payment since, through the webhook's path; the item stays in this class, so the
  day's report reads the same before and after healing;
- `missing_in_stripe`: the ledger shows money Stripe never moved;
- `other`: balance lines that are no ledger fact (payouts, Stripe fees, transfers):
  reported with their fee and net, never counted as mismatches.

How a transaction names its fact: a `charge`/`payment` line by its PaymentIntent, a
`refund` by the refund id, a dispute withdrawal (`reporting_category` `dispute`) and its
reinstatement (`dispute_reversal`) by the dispute id. A fact recorded on the neighbouring
day (a webhook processed just after midnight) is found through `lookup` by its key, and a
fact already reconciled by another day's run is left out of this day's report.

Everything here is deterministic (items sorted, no clock): the same inputs give the same
report, which is what makes a re-run's report identical.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

import attrs

from sfr3_ledger.payment_provider import BalanceTransaction
from sfr3_ledger.read_models.settled_by_day import FactKind, SettledFact

Status = Literal["matched", "amount_mismatch", "missing_in_ledger", "missing_in_stripe",
                 "other"]
STATUSES: tuple[Status, ...] = ("matched", "amount_mismatch", "missing_in_ledger",
                                "missing_in_stripe", "other")
MISMATCHES: tuple[Status, ...] = ("amount_mismatch", "missing_in_ledger", "missing_in_stripe")
Lookup = Callable[[FactKind, str], "SettledFact | None"]


def txn_fact(txn: BalanceTransaction) -> tuple[FactKind, str] | None:
    """Which ledger fact a balance transaction is, as (kind, key); None for the others."""
    if txn.type in ("charge", "payment"):
        return ("payment", txn.payment_intent_id) if txn.payment_intent_id else None
    if txn.type in ("refund", "payment_refund"):
        return ("refund", txn.source) if txn.source else None
    if txn.source and txn.source.startswith(("dp_", "du_")):
        if txn.reporting_category == "dispute_reversal" or (
            txn.reporting_category is None and txn.amount > 0
        ):
            return "reinstatement", txn.source
        return "chargeback", txn.source
    return None


@attrs.frozen
class Item:
    status: Status
    kind: str  # a FactKind, or Stripe's own type for `other`
    key: str
    stripe_txn: str | None = None
    stripe_amount: int | None = None
    fee: int = 0
    net: int | None = None
    ledger_amount: int | None = None
    resident_id: str | None = None
    payment_id: str | None = None
    ledger_day: date | None = None
    healed: bool = False
    reconciled_run: str | None = None
    reconciled_at: datetime | None = None

    @property
    def difference(self) -> int:
        return (self.stripe_amount or 0) - (self.ledger_amount or 0)

    def row(self) -> dict[str, Any]:
        """The item as a report row (CSV column -> value)."""
        return {
            "status": self.status, "kind": self.kind, "key": self.key,
            "stripeTransaction": self.stripe_txn or "",
            "stripeAmount": "" if self.stripe_amount is None else self.stripe_amount,
            "fee": self.fee, "net": "" if self.net is None else self.net,
            "ledgerAmount": "" if self.ledger_amount is None else self.ledger_amount,
            "difference": self.difference if self.status != "other" else "",
            "residentId": self.resident_id or "", "paymentId": self.payment_id or "",
            "ledgerDay": self.ledger_day.isoformat() if self.ledger_day else "",
            "healed": "yes" if self.healed else "",
            "reconciledRun": self.reconciled_run or "",
            "reconciledAt": self.reconciled_at.isoformat() if self.reconciled_at else "",
        }


CSV_COLUMNS = tuple(Item(status="other", kind="", key="").row())


def _with_fact(item: Item, fact: SettledFact) -> Item:
    return attrs.evolve(item, ledger_amount=fact.amount, resident_id=fact.resident_id,
                        payment_id=fact.payment_id, ledger_day=fact.day,
                        healed=fact.healed_by is not None)


def match(day: date, txns: Iterable[BalanceTransaction], facts: Iterable[SettledFact],
          lookup: Lookup | None = None, *, currency: str = "usd",
          inquiries: frozenset[str] = frozenset()) -> list[Item]:
    """Classify every transaction of `day` and every fact of `day`, each exactly once.

    `inquiries`: dispute ids Stripe says are inquiries (it withdrew nothing for them), so
    their ledger facts are `other` (kind `inquiry`), not money missing at Stripe."""
    by_key: dict[tuple[FactKind, str], SettledFact] = {(f.kind, f.key): f for f in facts}
    seen: set[tuple[FactKind, str]] = set()
    items: list[Item] = []
    for txn in txns:
        found = txn_fact(txn)
        base = Item(status="other", kind=txn.type, key=txn.source or txn.id,
                    stripe_txn=txn.id, stripe_amount=txn.amount, fee=txn.fee, net=txn.net)
        if found is None or txn.currency.lower() != currency.lower():
            items.append(base)
            continue
        kind, key = found
        base = attrs.evolve(base, kind=kind, key=key)
        if found in seen:  # Stripe lists one fact twice (never expected): surface it
            items.append(attrs.evolve(base, status="missing_in_ledger"))
            continue
        seen.add(found)
        fact = by_key.get(found)
        if fact is None and lookup is not None:
            fact = lookup(kind, key)
        if fact is None:
            items.append(attrs.evolve(base, status="missing_in_ledger"))
            continue
        item = _with_fact(base, fact)
        if fact.healed_by is not None:
            status: Status = "missing_in_ledger"
        elif fact.amount != txn.amount:
            status = "amount_mismatch"
        else:
            status = "matched"
        items.append(attrs.evolve(item, status=status, reconciled_run=fact.reconciled_run,
                                  reconciled_at=fact.reconciled_at))
    for found, fact in by_key.items():
        if found in seen:
            continue
        if fact.reconciled_run is not None:
            continue  # matched by the run of the day Stripe recorded it (a boundary crossing)
        if fact.kind in ("chargeback", "reinstatement") and fact.key in inquiries:
            items.append(Item(status="other", kind="inquiry", key=fact.key,
                              ledger_amount=fact.amount, resident_id=fact.resident_id,
                              payment_id=fact.payment_id, ledger_day=fact.day))
            continue
        items.append(Item(status="missing_in_stripe", kind=fact.kind, key=fact.key,
                          ledger_amount=fact.amount, resident_id=fact.resident_id,
                          payment_id=fact.payment_id, ledger_day=fact.day))
    return sorted(items, key=lambda i: (STATUSES.index(i.status), i.kind, i.key,
                                        i.stripe_txn or ""))


def counts(items: Iterable[Item]) -> dict[str, int]:
    found: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for item in items:
        found[item.status] += 1
    return found


def summary(day: date, items: list[Item], *, first_run: str | None,
            extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON summary: counts, and totals of Stripe amounts, fees and net, per class."""
    totals: dict[str, dict[str, int]] = {}
    for status in STATUSES:
        chosen = [i for i in items if i.status == status]
        totals[status] = {
            "stripeAmount": sum(i.stripe_amount or 0 for i in chosen),
            "fee": sum(i.fee for i in chosen),
            "net": sum(i.net or 0 for i in chosen),
            "ledgerAmount": sum(i.ledger_amount or 0 for i in chosen),
        }
    return {
        "day": day.isoformat(),
        "firstRunId": first_run,
        "counts": counts(items),
        "mismatches": sum(1 for i in items if i.status in MISMATCHES),
        "healed": sum(1 for i in items if i.healed),
        "totals": totals,
        "stripeTotals": {
            "amount": sum(i.stripe_amount or 0 for i in items),
            "fee": sum(i.fee for i in items),
            "net": sum(i.net or 0 for i in items),
        },
        "ledgerTotal": sum(i.ledger_amount or 0 for i in items),
        "mismatchItems": [i.row() for i in items if i.status in MISMATCHES],
        **dict(extra or {}),
    }


def to_csv(items: Iterable[Item]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(item.row())
    return out.getvalue()


def to_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
