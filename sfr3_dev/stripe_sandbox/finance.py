"""The sandbox's finance resources: the Files API, Stripe's dispute test cards, and the
fault a reconciliation test injects.

Kept out of store.py (which holds the core payment resources); `Store` mixes
`FinanceMixin` in and registers its routes.

- **Files** (`POST /v1/files`, multipart/form-data as the SDK sends it to
  files.stripe.com; `GET /v1/files/<id>`, `GET /v1/files`): `purpose` must be one of
  Stripe's, a `dispute_evidence` file must be a PDF, PNG or JPEG of at most 5 MB
  (Stripe's documented limits for evidence); the content is kept (base64) so a dispute's
  evidence can name it (`evidence[receipt]=file_…`, checked to exist).
- **Dispute test cards** (docs.stripe.com/testing#disputes): `pm_card_createDispute`
  (fraudulent), `pm_card_createDisputeProductNotReceived` (product_not_received),
  `pm_card_createDisputeInquiry` (an inquiry: `warning_needs_response`, no funds
  withdrawn; answering it makes it `warning_under_review`, closing it `warning_closed`),
  `pm_card_createMultipleDisputes` (disputed again after the first dispute closes) and
  `pm_card_createIssuerFraudRecord` (an early fraud warning, no dispute). Their raw card
  numbers (4000000000000259, …2685, …1976, 4000000404000079, …5423) behave the same.
- **Evidence magic** (as in test mode): submitting `uncategorized_text` =
  `winning_evidence` closes the dispute won, `losing_evidence` lost.
- **Fault injection** (`set_balance_transaction_amount`, control
  `POST /_sandbox/balance_transactions/<id>/amount {"amount": n}`): changes what Stripe's
  books say a transaction was, the "amount changed on Stripe's side" of a reconciliation
  test. Not a Stripe behaviour: a test hook, like `/_sandbox/fail`.
"""

from __future__ import annotations

import base64
import copy
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfr3_dev.stripe_sandbox.store import Store

Obj = dict[str, Any]
FILE_PURPOSES = ("account_requirement", "additional_verification", "business_icon",
                 "business_logo", "customer_signature", "dispute_evidence",
                 "identity_document", "issuing_regulatory_reporting", "pci_document",
                 "tax_document_user_upload", "terminal_reader_splashscreen")
# Stripe sniffs the type from the content (the SDK sends application/octet-stream).
MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# Evidence fields that hold a file id, not text.
FILE_EVIDENCE = ("cancellation_policy", "customer_communication", "customer_signature",
                 "duplicate_charge_documentation", "receipt", "refund_policy",
                 "service_documentation", "shipping_documentation", "uncategorized_file")

# test token -> (dispute reason, kind)
DISPUTE_CARDS: dict[str, tuple[str, str]] = {
    "pm_card_createDispute": ("fraudulent", "dispute"),
    "pm_card_createDisputeProductNotReceived": ("product_not_received", "dispute"),
    "pm_card_createDisputeInquiry": ("fraudulent", "inquiry"),
    "pm_card_createMultipleDisputes": ("fraudulent", "multiple"),
    "pm_card_createIssuerFraudRecord": ("fraudulent", "early_fraud_warning"),
}
DISPUTE_LAST4 = {"pm_card_createDispute": "0259",
                 "pm_card_createDisputeProductNotReceived": "2685",
                 "pm_card_createDisputeInquiry": "1976",
                 "pm_card_createMultipleDisputes": "0079",
                 "pm_card_createIssuerFraudRecord": "5423"}


def parse_multipart(body: bytes, content_type: str) -> Obj:
    """A multipart/form-data body as params; a file part becomes
    `{"filename", "content_type", "data": bytes}`."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    params: Obj = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            # base64, so params stay JSON (idempotency fingerprints, persistence)
            params[str(name)] = {"filename": filename,
                                 "content_type": part.get_content_type(),
                                 "data": base64.b64encode(payload).decode("ascii")}
        else:
            params[str(name)] = payload.decode()
    return params


def set_balance_transaction_amount(store: Store, txn_id: str, amount: int) -> Obj:
    """Test hook: Stripe's books now say `txn_id` moved `amount` (fee kept, net follows)."""
    with store.transaction():
        txn = store._get("balance_transaction", txn_id)
        txn["amount"] = int(amount)
        txn["net"] = txn["amount"] - txn["fee"]
        return copy.deepcopy(txn)


class FinanceMixin:
    """Files and dispute behaviours; mixed into `Store` (which provides the plumbing)."""

    def _finance_routes(self: Any) -> list[tuple[str, str, Any]]:
        i = r"([A-Za-z0-9_]+)"
        return [
            ("POST", r"/v1/files", self.create_file),
            ("GET", r"/v1/files", lambda p: self._list("file", p, ("purpose",))),
            ("GET", rf"/v1/files/{i}", lambda p, id_: self._public_file(
                self._get("file", id_))),
        ]

    @staticmethod
    def _public_file(obj: Obj) -> Obj:
        return {k: v for k, v in obj.items() if k != "_content"}

    def create_file(self: Any, params: Obj) -> Obj:
        from sfr3_dev.stripe_sandbox.store import invalid, new_id

        purpose = params.get("purpose")
        if purpose not in FILE_PURPOSES:
            raise invalid(f"Invalid purpose: must be one of {', '.join(FILE_PURPOSES)}",
                          param="purpose")
        upload = params.get("file")
        if not isinstance(upload, dict) or "data" not in upload:
            raise invalid("Missing required param: file.", param="file",
                          code="parameter_missing")
        data = base64.b64decode(upload["data"])
        kind = next((name for magic, name in MAGIC if data.startswith(magic)), None)
        if purpose == "dispute_evidence":
            if kind is None:
                raise invalid("Dispute evidence must be a PDF, JPEG or PNG file.",
                              param="file", code="file_type_invalid")
            if len(data) > MAX_EVIDENCE_BYTES:
                raise invalid("Dispute evidence files must be at most 5 MB.", param="file",
                              code="file_too_large")
        if not data:
            raise invalid("The file is empty.", param="file")
        obj = self._put({
            "id": new_id("file"), "object": "file", "created": self.now(),
            "expires_at": self.now() + 90 * 86_400, "filename": upload.get("filename"),
            "links": {"object": "list", "data": [], "has_more": False, "url": "/v1/file_links"},
            "purpose": purpose, "size": len(data), "title": None, "type": kind,
            "url": None,
            "_content": upload["data"],
        })
        obj["url"] = f"https://files.stripe.com/v1/files/{obj['id']}/contents"
        return self._public_file(obj)

    def check_evidence_files(self: Any, evidence: Obj) -> None:
        from sfr3_dev.stripe_sandbox.store import invalid

        for field in FILE_EVIDENCE:
            value = evidence.get(field)
            if value in (None, ""):
                continue
            found = self.objects.get(str(value))
            if found is None or found.get("object") != "file" or (
                found.get("purpose") != "dispute_evidence"
            ):
                raise invalid(f"No such file upload: '{value}'", param=f"evidence[{field}]",
                              code="resource_missing")

    # ---- dispute test cards -----------------------------------------------------------
    def after_success(self: Any, charge: Obj, behaviour: Any) -> None:
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

    def after_close(self: Any, dispute: Obj) -> None:
        """`pm_card_createMultipleDisputes`: the charge is disputed again, once."""
        marker = self.objects.get(f"redispute_{dispute['charge']}")
        if marker is None or marker.get("done"):
            return
        marker["done"] = True
        charge = self.objects[dispute["charge"]]
        charge["disputed"] = False
        self.open_dispute(charge["id"], dispute["reason"])
