"""The Files API in the sandbox, for dispute evidence.

`POST /v1/files` (multipart/form-data as the SDK sends it to files.stripe.com; parsed by
`parse_multipart`), `GET /v1/files/<id>`, `GET /v1/files` (filter `purpose`): `purpose`
must be one of Stripe's, a `dispute_evidence` file must be a PDF, PNG or JPEG of at most
5 MB (Stripe's documented limits for evidence); the content is kept (base64) so a
dispute's evidence can name it (`evidence[receipt]=file_…`, checked to exist by
`check_evidence_files`).
"""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP

from sfr3_dev.stripe_sandbox.base import Route, StoreBase, list_route
from sfr3_dev.stripe_sandbox.errors import DAY, ID, Obj, invalid, new_id

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


def routes(store: Files) -> list[Route]:
    return [
        ("POST", r"/v1/files", store.create_file),
        list_route(store, "file", "purpose"),
        ("GET", rf"/v1/files/{ID}", lambda p, id_: store._public_file(
            store._get("file", id_))),
    ]


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


class Files(StoreBase):
    """File uploads, and the check that evidence names an uploaded evidence file."""

    @staticmethod
    def _public_file(obj: Obj) -> Obj:
        return {k: v for k, v in obj.items() if k != "_content"}

    def create_file(self, params: Obj) -> Obj:
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
            "expires_at": self.now() + 90 * DAY, "filename": upload.get("filename"),
            "links": {"object": "list", "data": [], "has_more": False, "url": "/v1/file_links"},
            "purpose": purpose, "size": len(data), "title": None, "type": kind,
            "url": None,
            "_content": upload["data"],
        })
        obj["url"] = f"https://files.stripe.com/v1/files/{obj['id']}/contents"
        return self._public_file(obj)

    def check_evidence_files(self, evidence: Obj) -> None:
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
