"""The reconciliation's laws (sfr3_ledger/reconciliation.py), as hypothesis properties.

A day is generated as the truth (payments, refunds, dispute withdrawals and
reinstatements, each with a Stripe id and an amount) and then drifted on either side:
a fact dropped from the ledger, one dropped from Stripe, an amount changed, a payout and a
fee line added. For every such day:

- every Stripe line is in exactly one item and every ledger fact of the day in exactly
  one item (none lost, none counted twice);
- an item is `matched` iff both sides name the same fact with the same amount;
  `amount_mismatch` iff both name it with different amounts; `missing_in_ledger` /
  `missing_in_stripe` iff only one side has it; lines that are no ledger fact are `other`
  and never a mismatch;
- the report does not depend on the order either side lists things (a re-run reads the
  same report), and its totals are the sums of the lines (fees and net included).

Run with `check_reconciliation_laws()`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sfr3_ledger import reconciliation as rec
from sfr3_ledger.laws_support import given, settings, st
from sfr3_ledger.payment_provider import BalanceTransaction
from sfr3_ledger.read_models.settled_by_day import FactKind, SettledFact

DAY = date(2026, 3, 14)
START = datetime(2026, 3, 14, tzinfo=UTC)
KINDS: tuple[FactKind, ...] = ("payment", "refund", "chargeback", "reinstatement")
SIGN = {"payment": 1, "refund": -1, "chargeback": -1, "reinstatement": 1}


def _txn(kind: FactKind, key: str, amount: int, n: int) -> BalanceTransaction:
    fee = {"payment": max(amount * 29 // 1000 + 30, 0), "chargeback": 1500}.get(kind, 0)
    if kind == "payment":
        return BalanceTransaction(id=f"txn_{n}", type="charge", amount=amount, fee=fee,
                                  net=amount - fee, currency="usd",
                                  created=START + timedelta(seconds=n), source=f"ch_{n}",
                                  payment_intent_id=key, reporting_category="charge")
    if kind == "refund":
        return BalanceTransaction(id=f"txn_{n}", type="refund", amount=amount, fee=0,
                                  net=amount, currency="usd",
                                  created=START + timedelta(seconds=n), source=key,
                                  reporting_category="refund")
    return BalanceTransaction(
        id=f"txn_{n}", type="adjustment", amount=amount, fee=fee, net=amount - fee,
        currency="usd", created=START + timedelta(seconds=n), source=key,
        reporting_category="dispute" if kind == "chargeback" else "dispute_reversal")


def _fact(kind: FactKind, key: str, amount: int, n: int) -> SettledFact:
    return SettledFact(day=DAY, kind=kind, key=key, resident_id=f"res-{n % 7}",
                       payment_id=f"pay_{n}", amount=amount,
                       at=START + timedelta(seconds=n), fact_id=f"id_{n}")


truth = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(50, 500_000)),
                 min_size=0, max_size=40)
# Per fact: 0 both sides agree, 1 ledger lacks it, 2 Stripe lacks it, 3 amounts differ.
drift = st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), min_size=40, max_size=40)


@given(truth, drift, st.randoms(use_true_random=False), st.booleans())
@settings(max_examples=300, deadline=None)
def law_every_line_once_in_its_class(facts: list[tuple[FactKind, int]], drifts: list[int],
                                     shuffle: object, extras: bool) -> None:
    txns: list[BalanceTransaction] = []
    ledger: list[SettledFact] = []
    expected: dict[tuple[str, str], str] = {}
    for n, (kind, size) in enumerate(facts):
        prefix = {"payment": "pi", "refund": "re", "chargeback": "dp",
                  "reinstatement": "dp"}[kind]
        key = f"{prefix}_{kind[:2]}{n}"
        amount = SIGN[kind] * size
        how = drifts[n]
        if how != 1:
            ledger.append(_fact(kind, key, amount, n))
        if how != 2:
            txns.append(_txn(kind, key, amount + (1 if how == 3 else 0), n))
        expected[(kind, key)] = ["matched", "missing_in_ledger", "missing_in_stripe",
                                 "amount_mismatch"][how]
    if extras:
        txns.append(BalanceTransaction(id="txn_payout", type="payout", amount=-10_000, fee=0,
                                       net=-10_000, currency="usd", created=START,
                                       source="po_1"))
        txns.append(BalanceTransaction(id="txn_fee", type="stripe_fee", amount=-500, fee=0,
                                       net=-500, currency="usd", created=START, source=None))
    items = rec.match(DAY, txns, ledger)
    # Every Stripe line exactly once; every ledger fact exactly once.
    assert sorted(i.stripe_txn for i in items if i.stripe_txn) == sorted(t.id for t in txns)
    keyed = [(i.kind, i.key) for i in items if i.status != "other"]
    assert len(keyed) == len(set(keyed)) == len(expected)
    for item in items:
        if item.status == "other":
            assert item.stripe_txn in ("txn_payout", "txn_fee")
            continue
        assert expected[(item.kind, item.key)] == item.status, item
        if item.status == "amount_mismatch":
            assert item.difference == 1
    # Order-independent, and totals are the sums of the lines.
    rng = shuffle  # hypothesis' seeded Random
    mixed_txns, mixed_facts = list(txns), list(ledger)
    rng.shuffle(mixed_txns)  # type: ignore[attr-defined]
    rng.shuffle(mixed_facts)  # type: ignore[attr-defined]
    again = rec.match(DAY, mixed_txns, mixed_facts)
    assert rec.to_csv(again) == rec.to_csv(items)
    summary = rec.summary(DAY, items, first_run=None)
    assert summary["stripeTotals"] == {"amount": sum(t.amount for t in txns),
                                       "fee": sum(t.fee for t in txns),
                                       "net": sum(t.net for t in txns)}
    assert summary["mismatches"] == sum(1 for s in expected.values() if s != "matched")
    assert sum(summary["counts"].values()) == len(items)


def check_reconciliation_laws() -> None:
    law_every_line_once_in_its_class()
