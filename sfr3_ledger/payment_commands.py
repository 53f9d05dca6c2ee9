"""The payment use cases of LedgerApplication (a mixin, like refund_commands.py): reserve a
payment, then record what the provider did with it.

Each runs one ResidentLedger command on fresh state through the application's retrying
`_ledger_update`; the rules themselves are in `payments.py`. A payment is reserved only
on an enrolled, active method, and before the provider is ever called.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import attrs

from sfr3_ledger.errors import InvalidCommand, PaymentMethodNotFound
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.records import Payment
from sfr3_ledger.values import MethodType, new_id

if TYPE_CHECKING:
    from sfr3_ledger.retries import RetryPolicy

T = TypeVar("T")


@attrs.frozen
class PaymentStarted:
    """What the API answers 202 with: the reservation and the balances around it."""

    payment: Payment
    current_balance: int
    balance_after_payment: int
    created: bool
    # What the provider charges, read with the method check (no second read to submit).
    provider_method_id: str
    customer_id: str | None


class PaymentCommands:
    if TYPE_CHECKING:  # provided by LedgerApplication (retrying, on fresh state)
        def _ledger_update(
            self, resident_id: str, command: Callable[[ResidentLedger], T]
        ) -> T: ...

        def _load(self, cls: type[PaymentMethods], resident_id: str) -> PaymentMethods | None:
            ...

        @property
        def retry_policy(self) -> RetryPolicy: ...  # RetryCommands

    def initiate_payment(
        self,
        resident_id: str,
        *,
        amount: int,
        method_id: str,
        actor: str,
        payment_id: str | None = None,
        mandate_id: str | None = None,
        mandate_acceptance: MandateAcceptance | None = None,
        on_session: bool = False,
    ) -> PaymentStarted:
        """Reserve a payment as PENDING, or raise the brief's balance errors.

        The method must be enrolled and active; the provider is called only after this
        reservation is stored, with an idempotency key derived from the payment id.
        `mandate_acceptance` (a manual ACH payment's) is recorded on the payment; a repeat
        of the same payment id keeps the first one. Only a bank debit made without a
        mandate keeps it (a card, or autopay's debit under its `mandate_id`, records none),
        and an `on_session` bank debit (the resident paying now) must bring one: Stripe
        confirms an on-session ACH debit only with the customer's acceptance.
        """
        methods = self._load(PaymentMethods, resident_id)
        if methods is None:
            raise PaymentMethodNotFound(method_id)
        method = methods.get_active(method_id)
        payment_id = payment_id or new_id("pay")
        if method.method_type != MethodType.ACH or mandate_id is not None:
            mandate_acceptance = None
        unaccepted = on_session and mandate_acceptance is None and \
            method.method_type == MethodType.ACH and mandate_id is None

        def command(ledger: ResidentLedger) -> PaymentStarted:
            created = payment_id not in ledger.payments
            if created and unaccepted:  # a repeat keeps the acceptance it recorded
                raise InvalidCommand("A bank payment records your authorization of the "
                                     "debit (the request's source IP and User-Agent): send "
                                     "a User-Agent header")
            payment = ledger.initiate_payment(
                payment_id=payment_id, amount=amount, method_id=method_id, actor=actor,
                mandate_id=mandate_id, mandate_acceptance=mandate_acceptance,
            )
            return PaymentStarted(
                payment=payment,
                current_balance=ledger.balance,
                balance_after_payment=ledger.payable,
                created=created,
                provider_method_id=method.provider_id,
                customer_id=methods.customer_id,
            )

        return self._ledger_update(resident_id, command)

    def record_submission(self, resident_id: str, payment_id: str, stripe_ref: str) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.record_submission(payment_id=payment_id, stripe_ref=stripe_ref),
        )

    def settle_payment(
        self, resident_id: str, payment_id: str, *, stripe_ref: str | None = None
    ) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.settle_payment(payment_id=payment_id, stripe_ref=stripe_ref),
        )

    def fail_payment(
        self,
        resident_id: str,
        payment_id: str,
        *,
        reason: str,
        stripe_ref: str | None = None,
        now: datetime | None = None,
    ) -> Payment:
        """Fail the payment's attempt; the retry policy decides what follows."""
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.fail_payment(
                payment_id=payment_id, reason=reason, stripe_ref=stripe_ref,
                policy=self.retry_policy, now=now,
            ),
        )
