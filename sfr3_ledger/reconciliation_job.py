"""The daily reconciliation job: Stripe's balance history of a UTC day vs the ledger.

A run for day D (fired at 02:00 UTC on D+1, or by hand for any day):

1. lists every page of Stripe's balance transactions created in [D 00:00, D+1 00:00)
   UTC through the provider port (the stripeService deployed), 100 a page;
2. reads the day's settled facts from the read model (never every resident) and
   classifies every item (`sfr3_ledger.reconciliation.match`);
3. heals each payment Stripe settled that the ledger still shows PENDING (a lost
   webhook) by applying Stripe's intent through the webhook's own checks
   (`PaymentService.apply_intent`; never a resubmission, whose idempotency key may be
   gone by the next day), after checking that it names that payment for its amount; the run records
   `Healed` once per intent, so a re-run heals nothing again;
4. marks the matched (and healed) facts reconciled (`Reconciled` events of the day's
   `ReconciliationDay`, with the run id and time), each fact once ever;
5. writes `reconciliation/YYYY/MM/DD/report.csv` and `summary.json` to the reports store
   and records `Completed` (-> `reconciliation.completed` with the counts).

Re-running a day reads Stripe and the read model again and the marks the first run
made: with nothing changed since, the report is byte for byte the same and nothing is
marked or healed twice. Mismatch counts by type come back in `RunResult` for the
`ReconciliationMismatch` metric (the handler emits it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

import attrs
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from sfr3_ledger import reconciliation as rec
from sfr3_ledger.errors import LedgerError
from sfr3_ledger.finance_ports import ReportStore
from sfr3_ledger.payment_provider import (
    BalanceTransaction,
    BalanceTransactionPage,
    DisputeDetails,
    PaymentIntentResult,
    PaymentProviderError,
)
from sfr3_ledger.provider_proofs import named_payment
from sfr3_ledger.read_models.settled_by_day import (
    FactKind,
    SettledFact,
    SettledFactsIndex,
    fact_key,
    parse_fact_key,
    utc_day,
)
from sfr3_ledger.reconciliation_runs import ReconciliationDay
from sfr3_ledger.values import COLLECTED_STATUSES, CURRENCY, PaymentStatus, new_id

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication
    from sfr3_ledger.payment_service import PaymentService

log = logging.getLogger(__name__)
PAGE_SIZE = 100
MAX_ATTEMPTS = 10


class BalanceHistory(Protocol):
    """What the job asks of the provider (the stripeService client implements it)."""

    def list_balance_transactions_page(
        self, *, created_from: datetime, created_to: datetime,
        starting_after: str | None = None, limit: int = 100,
    ) -> BalanceTransactionPage: ...

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult: ...

    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails: ...


def report_prefix(day: date) -> str:
    return f"reconciliation/{day:%Y/%m/%d}/"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


@attrs.frozen
class RunResult:
    run_id: str
    day: date
    counts: dict[str, int]
    mismatches: int
    healed: list[str]
    newly_reconciled: int
    list_calls: int
    transactions: int
    csv_key: str
    summary_key: str
    items: list[rec.Item]

    @property
    def mismatch_counts(self) -> dict[str, int]:
        return {s: self.counts[s] for s in rec.MISMATCHES}


class Reconciler:
    def __init__(self, app: LedgerApplication, payments: PaymentService,
                 provider: BalanceHistory, index: SettledFactsIndex, reports: ReportStore,
                 *, new_run_id: Callable[[], str] = lambda: new_id("recon"),
                 currency: str = CURRENCY) -> None:
        self.app = app
        self.payments = payments
        self.provider = provider
        self.index = index
        self.reports = reports
        self.new_run_id = new_run_id
        self.currency = currency

    # ---- Stripe ---------------------------------------------------------------------
    def balance_transactions(self, day: date) -> tuple[list[BalanceTransaction], int]:
        """Every page of the day, and how many list calls that took."""
        start, end = day_bounds(day)
        out: list[BalanceTransaction] = []
        after: str | None = None
        calls = 0
        while True:
            page = self.provider.list_balance_transactions_page(
                created_from=start, created_to=end, starting_after=after, limit=PAGE_SIZE)
            calls += 1
            out.extend(page.data)
            if not page.has_more or not page.data:
                return out, calls
            after = page.data[-1].id

    # ---- the run aggregate ----------------------------------------------------------
    def _update(self, day: date, command: Callable[[ReconciliationDay], object]) -> object:
        for _ in range(MAX_ATTEMPTS):
            aggregate = self.day_state(day) or ReconciliationDay(day=day)
            result = command(aggregate)
            if not aggregate.pending_events:
                return result
            try:
                self.app.save(aggregate)
            except IntegrityError:
                continue
            return result
        raise LedgerError(f"reconciliation of {day} is being run elsewhere; try again")

    def day_state(self, day: date) -> ReconciliationDay | None:
        try:
            found: object = self.app.repository.get(ReconciliationDay.create_id(day))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, ReconciliationDay)
        return found

    def _inquiries(self, items: list[rec.Item]) -> frozenset[str]:
        """The disputes the ledger shows moving money that Stripe says are inquiries
        (`warning_*`: nothing withdrawn); one read per such dispute, usually none."""
        found = set()
        for item in items:
            if item.status != "missing_in_stripe" or item.kind not in ("chargeback",
                                                                       "reinstatement"):
                continue
            try:
                details = self.provider.retrieve_dispute(item.key)
            except PaymentProviderError:
                continue  # reported as missing; the next run asks again
            if details.status.startswith("warning_"):
                found.add(item.key)
        return frozenset(found)

    # ---- healing --------------------------------------------------------------------
    def _heal(self, run_id: str, day: date, item: rec.Item) -> bool:
        """Settle a payment Stripe settled and the ledger shows PENDING, via the webhook's
        path; True when the ledger now holds it (and the run recorded it once)."""
        try:
            intent = self.provider.retrieve_payment_intent(item.key)
        except PaymentProviderError as exc:
            log.warning("reconciliation %s: cannot read %s: %s", run_id, item.key, exc.code)
            return False
        named = named_payment(intent.metadata)  # a retry's intent names its payment too
        if named is None or intent.status != "succeeded":
            return False
        rid, pid = named
        ledger = self.app.ledger(rid)
        payment = ledger.payments.get(pid)
        if payment is None or payment.amount != intent.amount or (
            payment.stripe_ref not in (None, intent.id)
        ) or intent.currency.lower() != self.currency.lower():
            return False  # not a lost webhook: something for a person to look at
        if payment.status == PaymentStatus.PENDING:
            # Stripe's own answer, through the webhook's checks; it also records a lost
            # submission. Never a resubmission: yesterday's idempotency key may be gone.
            self.payments.apply_intent(intent)
            payment = self.app.ledger(rid).get_payment(pid)
        if payment.status not in COLLECTED_STATUSES:
            return False
        amount = payment.amount
        self._update(day, lambda agg: agg.heal(run_id=run_id, stripe_ref=intent.id,
                                               resident_id=rid, payment_id=pid,
                                               amount=amount))
        # What the projection writes from `Healed` and `PaymentSettled`, now, so this
        # run's report has it (deployed, the stream projection follows moments later).
        self.index.mark_healed(intent.id, day, run_id)
        if payment.settled_at is not None:
            self.index.put_fact(SettledFact(
                day=utc_day(payment.settled_at), kind="payment", key=intent.id,
                resident_id=rid, payment_id=pid, amount=payment.amount,
                at=payment.settled_at, fact_id=pid))
        return True

    # ---- the run --------------------------------------------------------------------
    def run(self, day: date) -> RunResult:
        run_id = self.new_run_id()
        txns, calls = self.balance_transactions(day)
        lookup = self.index.fact
        items = rec.match(day, txns, self.index.facts_on(day), lookup, currency=self.currency)
        inquiries = self._inquiries(items)
        healed = []
        for item in items:
            lost = item.status == "missing_in_ledger" and item.kind == "payment"
            if lost and not item.healed and self._heal(run_id, day, item):
                healed.append(item.key)
        if healed:
            items = rec.match(day, txns, self.index.facts_on(day), lookup,
                              currency=self.currency, inquiries=inquiries)
        keys = [fact_key(self._kind(i), i.key) for i in items
                if i.status == "matched" or i.healed]

        def mark(agg: ReconciliationDay) -> list[str]:
            return agg.reconcile(run_id=run_id, keys=keys)

        newly = self._update(day, mark)
        assert isinstance(newly, list)
        state = self.day_state(day)
        assert state is not None
        groups: dict[tuple[str, datetime], list[tuple[FactKind, str]]] = {}
        # Every mark the read model lacks (this run's, or an earlier run's the projection
        # has not written yet): what the projection writes, now. A re-run writes none.
        unmarked = [fact_key(self._kind(i), i.key) for i in items
                    if (i.status == "matched" or i.healed) and i.reconciled_run is None]
        for key in dict.fromkeys(unmarked):
            groups.setdefault(state.reconciled[key], []).append(parse_fact_key(key))
        for (run, at), chosen in groups.items():
            self.index.mark_reconciled(chosen, run, at)
        items = rec.match(day, txns, self.index.facts_on(day), lookup, currency=self.currency,
                          inquiries=inquiries)
        first_run = min(state.reconciled.values(), key=lambda mark: mark[1],
                        default=(None, None))[0]
        document = rec.summary(day, items, first_run=first_run)
        prefix = report_prefix(day)
        csv_key, summary_key = prefix + "report.csv", prefix + "summary.json"
        self.reports.put(csv_key, rec.to_csv(items).encode(), "text/csv")
        self.reports.put(summary_key, rec.to_json(document).encode(), "application/json")
        found = rec.counts(items)
        mismatches = int(document["mismatches"])
        self._update(day, lambda agg: agg.complete(run_id=run_id, counts=found,
                                                   mismatches=mismatches,
                                                   report_key=summary_key))
        log.info("reconciliation %s for %s: %s", run_id, day, found)
        return RunResult(run_id=run_id, day=day, counts=found, mismatches=mismatches,
                         healed=healed, newly_reconciled=len(newly), list_calls=calls,
                         transactions=len(txns), csv_key=csv_key, summary_key=summary_key,
                         items=items)

    @staticmethod
    def _kind(item: rec.Item) -> FactKind:
        assert item.kind in ("payment", "refund", "chargeback", "reinstatement")
        return item.kind  # type: ignore[return-value]
