"""The Mandate webhook: a bank mandate Stripe reports `inactive` stops autopay (see
provider_events.py).

Why: an ACH debit the resident did not start (the sweep's, a retry's) rests only on
their mandate. Stripe sends `mandate.updated` when a mandate's status changes; `inactive`
means it may not be used again: the customer revoked it at their bank, or a debit under
it came back unauthorized (R05, R07, R10, R29: `debit_not_authorized`). From then on a
debit under it is money moved without consent, so the enrollment that names it is
paused at once (`autopay.paused`, reason `mandate_revoked`, naming the mandate: the
resident is mailed how to re-enable it), the sweep skips it (it only pays ACTIVE
enrollments) and a retry of a debit made under it is cancelled
(`autopay_still_consents`).

A signed event is acted on only as far as Stripe's own copy of the mandate agrees: the
mandate is read back (`retrieve_mandate`, with its payment method's customer), it must
be `inactive`, its customer must be the resident's Stripe customer and its payment
method one of the resident's, and the resident's enrollment must name that very mandate.
Anything else changes nothing: a mandate that is still active or pending, one of another
resident or of no autopay, a replay (the revocation is recorded once). A `single_use`
mandate (a manual ACH payment's own, which Stripe marks inactive once used) is ignored
without asking Stripe: autopay's mandates are all `multi_use`. Pausing moves no money,
so it is the safe direction: when Stripe cannot be asked the event is retried
(ProviderUnavailableError), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfr3_ledger.payment_provider import MandateResult
from sfr3_ledger.provider_proofs import PROVIDER_ACTOR, ProviderProofs, WebhookMismatch

INACTIVE = "inactive"


class MandateEvents(ProviderProofs):
    """`mandate.updated` (a mixin)."""

    def _on_mandate_updated(self, obj: Mapping[str, Any]) -> str:
        mandate_id = self._ref(obj.get("id"))
        if obj.get("object") != "mandate" or mandate_id is None:
            raise WebhookMismatch("a mandate event carries no Mandate")
        if obj.get("status") != INACTIVE:
            return f"ignored: mandate {obj.get('status')}"
        if obj.get("type") == "single_use":  # a manual ACH payment's own, used up
            return "ignored: single-use mandate"
        mandate = self._stripe_copy("mandate", self.provider.retrieve_mandate, mandate_id)
        if mandate.status != INACTIVE:  # the event is stale or not Stripe's word
            return f"ignored: Stripe says mandate {mandate.status}"
        if not self._residents_mandate(mandate):
            return "ignored: not an autopay mandate"
        assert mandate.resident_id is not None
        if self.ledger.mandate_revoked(mandate.resident_id, mandate_id, actor=PROVIDER_ACTOR):
            return "autopay paused: mandate revoked"
        return "ignored: mandate revocation already recorded"

    def _residents_mandate(self, mandate: MandateResult) -> bool:
        """Is this the mandate the resident Stripe names enrolled autopay under?"""
        if not mandate.resident_id or not mandate.customer_id:
            return False
        methods = self.ledger.payment_methods(mandate.resident_id)
        if methods.customer_id != mandate.customer_id:
            return False
        if not any(m.provider_id == mandate.payment_method_id
                   for m in methods.methods.values()):
            return False
        enrollment = self.ledger.find_autopay(mandate.resident_id)
        return enrollment is not None and enrollment.mandate_id == mandate.id
