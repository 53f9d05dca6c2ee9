"""The refund and dispute webhooks: money given back or contested (see provider_events.py).

A refund or a dispute changes the ledger only when Stripe's intent proves it is about
the payment (`ProviderProofs._confirm_related`) and it is on that intent's charge, in the
payment's currency, for no more than the payment. Our own refunds carry their request
id, so whichever of the webhook and the API answer comes first records the refund once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfr3_ledger.payment_provider import PaymentIntentResult
from sfr3_ledger.provider_proofs import PROVIDER_ACTOR, ProviderProofs, WebhookMismatch


class RefundAndDisputeEvents(ProviderProofs):
    """`charge.refunded`, `refund.*` and `charge.dispute.*` (a mixin)."""

    def _check_refund(
        self, refund: Mapping[str, Any], intent: PaymentIntentResult, charge_id: str | None
    ) -> None:
        what = f"refund {refund.get('id')}"
        refund_intent = self._ref(refund.get("payment_intent"))
        if refund_intent is not None and refund_intent != intent.id:
            raise WebhookMismatch(f"{what} is on PaymentIntent {refund_intent}, not {intent.id}")
        refund_charge = self._ref(refund.get("charge"))
        if charge_id is not None and refund_charge not in (None, charge_id):
            raise WebhookMismatch(f"{what} is on charge {refund_charge}, not {charge_id}")
        self._check_charge(refund_charge, intent, what)
        if "currency" in refund and not self._same_currency(refund["currency"]):
            raise WebhookMismatch(f"{what} is in {refund['currency']}, not {self.currency}")

    def _apply_refund_objects(
        self, owner: tuple[str, str], refunds: list[Mapping[str, Any]]
    ) -> str:
        applied = 0
        for refund in refunds:
            if refund.get("status") not in ("succeeded", "pending"):
                continue
            # Our own refunds carry their request id: recording one here releases the
            # request's reservation, whichever of the webhook and the API call is first.
            metadata = refund.get("metadata") or {}
            request_id = metadata.get("refund_request_id")
            self.ledger.apply_refund(
                owner[0],
                owner[1],
                refund_id=str(refund["id"]),
                amount=int(refund["amount"]),
                actor=PROVIDER_ACTOR,
                stripe_ref=str(refund["id"]),
                request_id=str(request_id) if request_id else None,
            )
            applied += 1
        return f"refunds applied: {applied}"

    def _on_charge_refunded(self, obj: Mapping[str, Any]) -> str:
        found = self._confirm_related(obj, "charge")
        if found is None:
            return "ignored: not our payment"
        owner, payment, intent = found
        charge_id = self._ref(obj.get("id"))
        self._check_charge(charge_id, intent, "the refunded charge")
        if obj.get("amount", payment.amount) != payment.amount:
            raise WebhookMismatch(
                f"charge {charge_id} is for {obj.get('amount')}, payment {payment.payment_id} "
                f"for {payment.amount}"
            )
        refunds = list((obj.get("refunds") or {}).get("data") or [])
        for refund in refunds:
            self._check_refund(refund, intent, charge_id)
        self._adopt(owner, payment, intent)
        return self._apply_refund_objects(owner, refunds)

    def _on_refund(self, obj: Mapping[str, Any]) -> str:
        found = self._confirm_related(obj, "refund")
        if found is None:
            return "ignored: not our payment"
        owner, payment, intent = found
        self._check_refund(obj, intent, None)
        self._adopt(owner, payment, intent)
        return self._apply_refund_objects(owner, [obj])

    def _open_dispute(self, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        found = self._confirm_related(obj, "dispute")
        if found is None:
            return None
        owner, payment, intent = found
        what = f"dispute {obj.get('id')}"
        self._check_charge(self._ref(obj.get("charge")), intent, what)
        amount = obj.get("amount")
        if type(amount) is not int or not 0 < amount <= payment.amount:
            raise WebhookMismatch(
                f"{what} is for {amount}; payment {payment.payment_id} was {payment.amount}"
            )
        self._adopt(owner, payment, intent)
        self.ledger.open_dispute(
            owner[0],
            dispute_id=str(obj["id"]),
            payment_id=owner[1],
            amount=amount,
            reason=str(obj.get("reason") or "general"),
        )
        return owner

    def _on_dispute_created(self, obj: Mapping[str, Any]) -> str:
        return "dispute opened" if self._open_dispute(obj) else "ignored: not our payment"

    def _on_dispute_updated(self, obj: Mapping[str, Any]) -> str:
        owner = self._open_dispute(obj)  # tolerate a missed or late `created`
        if owner is None:
            return "ignored: not our payment"
        if obj.get("status") == "under_review":
            self.ledger.submit_dispute_evidence(owner[0], str(obj["id"]), actor=PROVIDER_ACTOR)
        return "dispute updated"

    def _on_dispute_closed(self, obj: Mapping[str, Any]) -> str:
        owner = self._open_dispute(obj)
        if owner is None:
            return "ignored: not our payment"
        # `warning_closed` (an inquiry that closed) took no money, like a win.
        won = obj.get("status") != "lost"
        self.ledger.close_dispute(owner[0], str(obj["id"]), won=won)
        return "dispute won" if won else "chargeback applied"
