"""`/disputes`: finance answers disputes across residents; property managers read them.

- `GET /disputes` lists from the disputes read model (never a scan of residents):
  filters `status`, `residentId`, `openedFrom`/`openedTo` (ISO dates or instants, UTC),
  newest opened first, `limit` (1-100, default 50) and an opaque `cursor` from the
  previous page's `nextCursor`.
- `GET /disputes/{disputeId}`: the dispute, its payment, and the evidence uploaded so far.
- `POST /disputes/{disputeId}/evidence` `{filename, contentType, size, category?}`: where
  to upload one evidence file (PDF, PNG or JPEG, at most 2 MB): a presigned S3 POST to the
  evidence bucket deployed, a folder under SFR3_HOME locally. Nothing passes through the
  API itself.
- `POST /disputes/{disputeId}/submit` `{text?}`: every uploaded file goes to Stripe's Files
  API (purpose `dispute_evidence`, through the stripeService), the dispute's evidence is
  updated with the file ids and the text, and submitted; the dispute is UNDER_REVIEW.
  WON/LOST come later from Stripe's `charge.dispute.closed` webhook.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from sfr3_lambdas import finance_wiring, wiring
from sfr3_lambdas.api.contract import answers
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Strict, iso, parse_instant, principal, text
from sfr3_ledger import CURRENCY, PaymentStatus
from sfr3_ledger.payment_provider import PaymentProviderError
from sfr3_ledger.read_models.disputes import DisputeQuery, DisputeRow
from sfr3_ledger.values import DisputeStatus

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_]+$")]
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FILES = 4
CONTENT_TYPES = {"application/pdf": (b"%PDF-", "pdf"), "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
                 "image/jpeg": (b"\xff\xd8\xff", "jpg")}
# Stripe's evidence fields that take a file.
Category = Literal["receipt", "customer_communication", "service_documentation",
                   "customer_signature", "refund_policy", "uncategorized_file"]


class EvidenceUpload(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=120,
                                   pattern=r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")]
    contentType: Literal["application/pdf", "image/png", "image/jpeg"]
    size: Annotated[StrictInt, Field(gt=0, le=MAX_FILE_BYTES)]
    category: Category = "uncategorized_file"


EvidenceText = text(5000)


class SubmitEvidence(Strict):
    text: EvidenceText | None = None


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Dispute(Out):
    disputeId: str
    residentId: str
    paymentId: str
    amount: int
    currency: str
    reason: str
    status: DisputeStatus
    openedAt: datetime
    evidenceSubmitted: bool
    evidenceSubmittedAt: datetime | None
    closedAt: datetime | None
    chargeback: int = Field(description="Cents taken back by the chargeback (0 if none)")
    propertyId: str | None


class DisputePage(Out):
    disputes: list[Dispute]
    nextCursor: str | None


class DisputedPayment(Out):
    paymentId: str
    amount: int
    status: PaymentStatus
    stripeRef: str | None
    settledAt: datetime | None


class EvidenceFile(Out):
    key: str
    category: str
    filename: str
    size: int | None


class StripeDisputeView(Out):
    status: str
    evidenceDueBy: datetime | None
    hasEvidence: bool
    submissionCount: int


class DisputeDetail(Dispute):
    payment: DisputedPayment | None
    evidence: list[EvidenceFile]
    stripe: StripeDisputeView | None = Field(description="Stripe's view, read now; null "
                                                         "when Stripe cannot answer")


class FileUpload(Out):
    """`make run`: write the file at `path` (a folder under SFR3_HOME)."""

    method: Literal["FILE"]
    url: str
    path: str
    headers: dict[str, str]
    maxBytes: int


class PresignedPost(Out):
    """Deployed: a presigned S3 POST (multipart form with `fields`, then the file)."""

    method: Literal["POST"]
    url: str
    fields: dict[str, str]
    maxBytes: int


class UploadTarget(Out):
    disputeId: str
    key: str
    upload: Annotated[FileUpload | PresignedPost, Field(discriminator="method")]


class EvidenceSubmitted(Out):
    disputeId: str
    status: Literal["UNDER_REVIEW"]
    files: list[str] = Field(description="The evidence fields sent to Stripe")


def _row(dispute_id: str) -> DisputeRow:
    row = finance_wiring.disputes_index().get(dispute_id)
    if row is None:
        raise ApiError(404, f"Dispute {dispute_id} not found", "not_found")
    return row


def _prefix(dispute_id: str) -> str:
    return f"disputes/{dispute_id}/"


def _evidence(dispute_id: str) -> list[dict[str, Any]]:
    store = finance_wiring.evidence_store()
    out = []
    for key in store.keys(_prefix(dispute_id)):
        category, _, filename = key[len(_prefix(dispute_id)):].partition("/")
        out.append({"key": key, "category": category, "filename": filename,
                    "size": store.size(key)})
    return out


def dispute_json(row: DisputeRow) -> dict[str, Any]:
    return {"disputeId": row.dispute_id, "residentId": row.resident_id,
            "paymentId": row.payment_id, "amount": row.amount, "currency": CURRENCY,
            "reason": row.reason, "status": row.status, "openedAt": iso(row.opened_at),
            "evidenceSubmitted": row.evidence_submitted_at is not None,
            "evidenceSubmittedAt": iso(row.evidence_submitted_at),
            "closedAt": iso(row.closed_at), "chargeback": row.chargeback,
            "propertyId": row.property_id or None}


def _cursor(row: DisputeRow) -> str:
    raw = json.dumps([row.opened_at.isoformat(), row.dispute_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, dispute_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(stamp), str(dispute_id)
    except (ValueError, TypeError):
        raise ApiError(400, "cursor is not one this API gave", "invalid_request") from None


@router.get("/disputes", tags=["disputes"], summary="Disputes across residents (staff)",
            responses=answers(200, DisputePage, "A page of disputes, newest opened first"))
@allow("dispute_read")
def list_disputes(
    status: Annotated[Literal["OPEN", "UNDER_REVIEW", "WON", "LOST"] | None, Query()] = None,
    residentId: Annotated[str | None, Query(max_length=200)] = None,
    openedFrom: Annotated[str | None, Query(max_length=40)] = None,
    openedTo: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Response[str]:
    start = parse_instant(openedFrom, "openedFrom", end=False)
    end = parse_instant(openedTo, "openedTo", end=True)
    if start and end and end <= start:
        raise ApiError(400, "openedTo must be after openedFrom", "invalid_request")
    rows = finance_wiring.disputes_index().query(DisputeQuery(
        status=status, resident_id=residentId or None, opened_from=start, opened_to=end,
        limit=limit + 1, after=_after(cursor)))
    page = rows[:limit]
    return json_response(200, {
        "disputes": [dispute_json(r) for r in page],
        "nextCursor": _cursor(page[-1]) if len(rows) > limit else None})


@router.get("/disputes/<disputeId>", tags=["disputes"], summary="One dispute (staff)",
            responses=answers(200, DisputeDetail, "The dispute, its payment, its evidence",
                              404))
@allow("dispute_read")
def get_dispute(disputeId: Id) -> Response[str]:
    row = _row(disputeId)
    payment = wiring.ledger().ledger(row.resident_id).payments.get(row.payment_id)
    body = dispute_json(row)
    body["payment"] = None if payment is None else {
        "paymentId": payment.payment_id, "amount": payment.amount,
        "status": payment.status.value, "stripeRef": payment.stripe_ref,
        "settledAt": iso(payment.settled_at)}
    body["evidence"] = _evidence(disputeId)
    body["stripe"] = _stripe_view(disputeId)
    return json_response(200, body)


def _stripe_view(dispute_id: str) -> dict[str, Any] | None:
    """Stripe's status and evidence due date, read now; None when Stripe cannot answer
    (the ledger's view above still stands)."""
    try:
        details = wiring.provider().retrieve_dispute(dispute_id)
    except PaymentProviderError:
        return None
    return {"status": details.status, "evidenceDueBy": iso(details.evidence_due_by),
            "hasEvidence": details.has_evidence, "submissionCount": details.submission_count}


@router.post("/disputes/<disputeId>/evidence", tags=["disputes"],
             summary="Where to upload one evidence file (finance)",
             responses=answers(201, UploadTarget, "Upload target", 404, 409))
@allow("dispute_write")
def upload_evidence(disputeId: Id, body: Annotated[EvidenceUpload, Body()]) -> Response[str]:
    row = _row(disputeId)
    if row.status != DisputeStatus.OPEN.value:
        raise ApiError(409, f"Dispute {disputeId} is {row.status}: evidence is closed",
                       "dispute_not_open")
    if len(_evidence(disputeId)) >= MAX_FILES:
        raise ApiError(409, f"At most {MAX_FILES} evidence files per dispute", "too_many_files")
    extension = CONTENT_TYPES[body.contentType][1]
    stem = re.sub(r"\.[A-Za-z0-9]+$", "", body.filename).replace(" ", "_")
    key = f"{_prefix(disputeId)}{body.category}/{stem}.{extension}"
    target = finance_wiring.evidence_store().upload_target(key, body.contentType,
                                                           MAX_FILE_BYTES)
    return json_response(201, {"disputeId": disputeId, "key": key, "upload": target})


@router.post("/disputes/<disputeId>/submit", tags=["disputes"],
             summary="Send the evidence to Stripe and submit it (finance)",
             responses=answers(202, EvidenceSubmitted, "Submitted: UNDER_REVIEW", 404, 409,
                               503))
@allow("dispute_write")
def submit_evidence(disputeId: Id,
                    body: Annotated[SubmitEvidence | None, Body()] = None) -> Response[str]:
    row = _row(disputeId)
    if row.status != DisputeStatus.OPEN.value:
        raise ApiError(409, f"Dispute {disputeId} is {row.status}", "dispute_not_open")
    store = finance_wiring.evidence_store()
    files = _evidence(disputeId)
    note = body.text if body is not None else None
    if not files and not note:
        raise ApiError(400, "Upload at least one file or give a text", "no_evidence")
    service = wiring.payment_service()
    evidence: dict[str, str] = {}
    for found in files:
        content = store.get(found["key"]) or b""
        kind = next((t for t, (magic, ext) in CONTENT_TYPES.items()
                     if found["filename"].endswith("." + ext)), None)
        if kind is None or not content.startswith(CONTENT_TYPES[kind][0]) or \
                len(content) > MAX_FILE_BYTES:
            raise ApiError(400, f"{found['filename']} is not a valid {kind or 'file'} of at "
                           f"most {MAX_FILE_BYTES} bytes", "invalid_evidence")
        # `_call` maps provider errors as every PaymentService call does (502/400).
        evidence[found["category"]] = service._call(
            service.provider.upload_dispute_file, filename=found["filename"],
            content_type=kind, content=content)
    if note:
        evidence["uncategorized_text"] = note
    service.submit_dispute_evidence(row.resident_id, disputeId, evidence=evidence,
                                    actor=principal(router).actor)
    return json_response(202, {"disputeId": disputeId, "status": "UNDER_REVIEW",
                               "files": sorted(evidence)})
