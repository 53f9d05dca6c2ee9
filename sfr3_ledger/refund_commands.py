"""The refund and dispute use cases of LedgerApplication (a mixin, like lease_commands.py).

Each runs one ResidentLedger command on fresh state through the application's retrying
`_ledger_update`: the rules themselves are in `refunds.py` and `disputes.py`. A refund
or a lost dispute is given the paid charges (out of the state, paid_charges.py) that its
payment paid, so it re-opens them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.records import Charge, Dispute, Payment, RefundRequest
from sfr3_ledger.values import new_id

T = TypeVar("T")


class RefundCommands:
    if TYPE_CHECKING:  # provided by LedgerApplication (retrying, on fresh state)
        def _ledger_update(
            self, resident_id: str, command: Callable[[ResidentLedger], T]
        ) -> T: ...

        def _paid_out(self, ledger: ResidentLedger, payment_id: str) -> list[Charge]: ...

    def request_refund(
        self,
        resident_id: str,
        payment_id: str,
        *,
        amount: int | None,
        actor: str,
        request_id: str | None = None,
    ) -> tuple[Payment, RefundRequest]:
        """Reserve a refund (see ResidentLedger.request_refund); (payment, request)."""
        new_request_id = new_id("rfq")

        def command(ledger: ResidentLedger) -> tuple[Payment, RefundRequest]:
            request = ledger.request_refund(
                payment_id=payment_id,
                request_id=request_id,
                amount=amount,
                actor=actor,
                new_request_id=new_request_id,
            )
            return ledger.payments[payment_id], request

        return self._ledger_update(resident_id, command)

    def fail_refund_request(
        self, resident_id: str, payment_id: str, request_id: str, *, reason: str
    ) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.fail_refund_request(
                payment_id=payment_id, request_id=request_id, reason=reason
            ),
        )

    def apply_refund(
        self,
        resident_id: str,
        payment_id: str,
        *,
        refund_id: str,
        amount: int,
        actor: str,
        stripe_ref: str | None = None,
        request_id: str | None = None,
    ) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.apply_refund(
                refund_id=refund_id,
                payment_id=payment_id,
                amount=amount,
                actor=actor,
                stripe_ref=stripe_ref,
                request_id=request_id,
                paid_out=self._paid_out(ledger, payment_id),
            ),
        )

    def open_dispute(
        self, resident_id: str, *, dispute_id: str, payment_id: str, amount: int, reason: str
    ) -> Dispute:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.open_dispute(
                dispute_id=dispute_id, payment_id=payment_id, amount=amount, reason=reason
            ),
        )

    def submit_dispute_evidence(self, resident_id: str, dispute_id: str, *, actor: str) -> Dispute:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.submit_dispute_evidence(dispute_id=dispute_id, actor=actor),
        )

    def close_dispute(self, resident_id: str, dispute_id: str, *, won: bool) -> Dispute:
        return self._ledger_update(
            resident_id, lambda ledger: ledger.close_dispute(
                dispute_id=dispute_id, won=won,
                paid_out=() if won else self._paid_out_disputed(ledger, dispute_id)),
        )

    def _paid_out_disputed(self, ledger: ResidentLedger, dispute_id: str) -> list[Charge]:
        dispute = ledger.disputes.get(dispute_id)
        return self._paid_out(ledger, dispute.payment_id) if dispute is not None else []
