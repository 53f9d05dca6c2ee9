"""Disputes in the sandbox, and Stripe's dispute test cards.

`GET /v1/disputes` (filters `charge`, `payment_intent`), `GET /v1/disputes/<id>`,
`POST /v1/disputes/<id>` (evidence, metadata, `submit`), `POST /v1/disputes/<id>/close`
(accept: lost). Opening one withdraws the amount plus the $15 fee
(`charge.dispute.funds_withdrawn`); winning reinstates the amount
(`charge.dispute.funds_reinstated`). Controls open and close them (server controls).

- **Dispute test cards** (docs.stripe.com/testing#disputes): `pm_card_createDispute`
  (fraudulent), `pm_card_createDisputeProductNotReceived` (product_not_received),
  `pm_card_createDisputeInquiry` (an inquiry: `warning_needs_response`, no funds
  withdrawn; answering it makes it `warning_under_review`, closing it `warning_closed`),
  `pm_card_createMultipleDisputes` (disputed again after the first dispute closes) and
  `pm_card_createIssuerFraudRecord` (an early fraud warning, no dispute). Their raw card
  numbers (4000000000000259, …2685, …1976, 4000000404000079, …5423) behave the same.
- **Evidence magic** (as in test mode): submitting `uncategorized_text` =
  `winning_evidence` closes the dispute won, `losing_evidence` lost.
"""

from __future__ import annotations

import copy

from sfr3_dev.stripe_sandbox import catalog
from sfr3_dev.stripe_sandbox.balance_transactions import BalanceTransactions
from sfr3_dev.stripe_sandbox.base import Route, get_route, list_route
from sfr3_dev.stripe_sandbox.errors import DAY, ID, Obj, _bool, _str_map, invalid, new_id
from sfr3_dev.stripe_sandbox.files import Files

DISPUTE_FEE = 1500
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)
_CLOSED = ("won", "lost", "warning_closed")

# The dispute test cards, as catalog.py defines them: token -> (reason, kind), last4.
DISPUTE_CARDS: dict[str, tuple[str, str]] = {
    name: (m.dispute_reason, m.dispute_kind) for name, m in catalog.CARD_TOKENS.items()
    if m.outcome == "dispute"}
DISPUTE_LAST4: dict[str, str] = {
    name: str(catalog.CARD_TOKENS[name].details["last4"]) for name in DISPUTE_CARDS}


def routes(store: Disputes) -> list[Route]:
    return [
        list_route(store, "dispute", "charge", "payment_intent"),
        get_route(store, "dispute"),
        ("POST", rf"/v1/disputes/{ID}", store.update_dispute),
        ("POST", rf"/v1/disputes/{ID}/close", lambda p, id_: store.close_dispute(id_, "lost")),
    ]


def _check_open(dispute: Obj) -> None:
    if dispute["status"] in _CLOSED:
        raise invalid("This dispute is already closed", code="dispute_already_closed")


class Disputes(BalanceTransactions, Files):
    """Disputes (evidence names uploaded files) and what the dispute test cards do."""

    def open_dispute(self, charge_id: str, reason: str = "fraudulent", *,
                     inquiry: bool = False) -> Obj:
        with self.transaction():
            charge = self._get("charge", charge_id, "charge")
            if charge["status"] != "succeeded" or charge["disputed"]:
                raise invalid(f"Charge {charge_id} cannot be disputed.")
            now = self.now()
            dispute = self._put({
                "id": new_id("dp"), "object": "dispute", "amount": charge["amount"],
                "balance_transactions": [], "charge": charge_id, "created": now,
                "currency": charge["currency"],
                "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
                "evidence_details": {"due_by": now + 7 * DAY, "has_evidence": False,
                                     "past_due": False, "submission_count": 0,
                                     "enhanced_eligibility": {}},
                "is_charge_refundable": False, "livemode": False, "metadata": {},
                "payment_intent": charge["payment_intent"],
                "payment_method_details": {
                    "card": {"brand": "visa", "case_type": "chargeback",
                             "network_reason_code": "10.4"}, "type": "card"}
                if charge["payment_method_details"]["type"] == "card" else {
                    "type": "us_bank_account", "us_bank_account": {}},
                "reason": reason,
                "status": "warning_needs_response" if inquiry else "needs_response",
                "enhanced_eligibility_types": [],
            })
            charge["disputed"] = True
            if inquiry:  # an inquiry withdraws nothing
                self._emit("charge.dispute.created", dispute)
                return dispute
            txn = self._balance_txn("adjustment", -dispute["amount"], DISPUTE_FEE,
                                    dispute["id"], "dispute",
                                    f"Chargeback withdrawal for {charge_id}")
            dispute["balance_transactions"].append(copy.deepcopy(txn))
            self._emit("charge.dispute.created", dispute)
            self._emit("charge.dispute.funds_withdrawn", dispute)
            return dispute

    def update_dispute(self, params: Obj, id_: str) -> Obj:
        dispute = self._get("dispute", id_)
        _check_open(dispute)
        evidence = params.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise invalid("Invalid object", param="evidence")
        for key in evidence:
            if key not in EVIDENCE_FIELDS:
                raise invalid(f"Received unknown parameter: evidence[{key}]",
                              param=f"evidence[{key}]")
        self.check_evidence_files(evidence)
        metadata = _str_map(params.get("metadata"), "metadata")  # checked before any change
        previous = {"status": dispute["status"]}
        dispute["evidence"].update({k: str(v) for k, v in evidence.items()})
        dispute["metadata"].update(metadata)
        if evidence:
            dispute["evidence_details"]["has_evidence"] = True
        submit = _bool(params["submit"]) if "submit" in params else True
        if submit:
            dispute["evidence_details"]["submission_count"] += 1
            dispute["status"] = "warning_under_review" if dispute["status"].startswith(
                "warning_") else "under_review"
        self._emit("charge.dispute.updated", dispute, previous)
        text = dispute["evidence"].get("uncategorized_text")
        if submit and text in ("winning_evidence", "losing_evidence"):  # Stripe test-mode magic
            self.close_dispute(id_, "won" if text == "winning_evidence" else "lost")
        return dispute

    def close_dispute(self, id_: str, outcome: str) -> Obj:
        """Close as won (funds reinstated) or lost (chargeback stands)."""
        with self.transaction():
            dispute = self._get("dispute", id_)
            if outcome not in ("won", "lost"):
                raise invalid("outcome must be won or lost", param="outcome")
            _check_open(dispute)
            previous = {"status": dispute["status"]}
            if dispute["status"].startswith("warning_"):  # an inquiry closes, moving nothing
                dispute["status"] = "warning_closed"
                self._emit("charge.dispute.closed", dispute, previous)
                return dispute
            dispute["status"] = outcome
            if outcome == "won":
                txn = self._balance_txn("adjustment", dispute["amount"], 0, dispute["id"],
                                        "dispute_reversal",
                                        f"Chargeback reversal for {dispute['charge']}")
                dispute["balance_transactions"].append(copy.deepcopy(txn))
                self._emit("charge.dispute.funds_reinstated", dispute)
            self._emit("charge.dispute.closed", dispute, previous)
            self.after_close(dispute)
            return dispute

    # ---- dispute test cards -----------------------------------------------------------
    def after_success(self, charge: Obj, behaviour: catalog.TestMethod) -> None:
        """What a dispute test card does once its charge succeeded."""
        if behaviour.outcome != "dispute":
            return
        if behaviour.dispute_kind == "early_fraud_warning":
            warning = self._put({
                "id": f"issfr_{charge['id'][3:]}", "object": "radar.early_fraud_warning",
                "actionable": True, "charge": charge["id"], "created": self.now(),
                "fraud_type": "made_with_stolen_card", "livemode": False,
                "payment_intent": charge["payment_intent"]})
            self._emit("radar.early_fraud_warning.created", warning)
            return
        self.open_dispute(charge["id"], behaviour.dispute_reason,
                          inquiry=behaviour.dispute_kind == "inquiry")
        if behaviour.dispute_kind == "multiple":
            self._put({"id": f"redispute_{charge['id']}", "object": "sandbox_marker"})

    def after_close(self, dispute: Obj) -> None:
        """`pm_card_createMultipleDisputes`: the charge is disputed again, once."""
        marker = self.objects.get(f"redispute_{dispute['charge']}")
        if marker is None or marker.get("done"):
            return
        marker["done"] = True
        charge = self.objects[dispute["charge"]]
        charge["disputed"] = False
        self.open_dispute(charge["id"], dispute["reason"])
