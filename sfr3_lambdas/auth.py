"""Who is calling, from the Cognito claims API Gateway puts in `requestContext.authorizer`.

API Gateway's Cognito authorizer has already verified the token (deployed) — or the local
gateway has (`make run`). This module only reads the verified claims and decides.

Who may do what (the policy; docs/api.md repeats it):

| action                                   | resident (own id only) | property-managers | finance |
|------------------------------------------|------------------------|-------------------|---------|
| enroll / remove a payment method         | yes                    | no                | no      |
| list payment methods                     | yes                    | yes               | yes     |
| make a payment                           | yes                    | no                | no      |
| post a charge                            | no                     | yes               | yes     |
| refund a payment                         | no                     | yes               | yes     |
| read balance / payment history / charges | yes                    | yes               | yes     |
| read the lease                           | yes                    | yes               | yes     |
| create / change / end a lease            | no                     | yes               | no      |
| enroll / change / pause / resume autopay | yes                    | no                | no      |
| read autopay                             | yes                    | yes               | yes     |
| cancel autopay                           | yes                    | yes               | yes     |
| read disputes (across residents)         | no                     | yes               | yes     |
| upload / submit dispute evidence         | no                     | no                | yes     |
| read reconciliation reports              | no                     | no                | yes     |
| read payment health (across residents)   | no                     | yes               | yes     |

Staff never move a resident's money *out of* the resident's card (paying and enrolling are
the resident's own acts, so the card-holder's consent is the resident's token); residents
never create debts or refunds. Autopay is the resident's standing consent: only they
enroll or change it; staff read it and may cancel it (stopping charges never moves
money). Leases are the property managers' business: finance
reads them but never writes them (`GROUP_ACTIONS` narrows a staff action to some staff
groups). A token that is neither (no `custom:residentId`, no staff
group) is 403; no claims at all is 401.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

import attrs

STAFF_GROUPS = frozenset({"property-managers", "finance"})
RESIDENT_CLAIM = "custom:residentId"
GROUPS_CLAIM = "cognito:groups"

Action = Literal["read", "enroll", "pay", "charge", "refund", "lease_read", "lease_write",
                 "autopay_write", "autopay_read", "autopay_cancel", "dispute_read",
                 "dispute_write", "report_read", "analytics_read"]
RESIDENT_ACTIONS: frozenset[str] = frozenset(
    {"read", "enroll", "pay", "lease_read", "autopay_write", "autopay_read", "autopay_cancel"})
STAFF_ACTIONS: frozenset[str] = frozenset(
    {"read", "charge", "refund", "lease_read", "lease_write", "autopay_read", "autopay_cancel",
     "dispute_read", "dispute_write", "report_read", "analytics_read"})
# Staff actions only some staff groups may do (any other staff action: every staff group).
GROUP_ACTIONS: dict[str, frozenset[str]] = {"lease_write": frozenset({"property-managers"})}
# Finance answers disputes and reads reconciliation (issue 14); managers only read disputes.
GROUP_ACTIONS["dispute_write"] = frozenset({"finance"})
GROUP_ACTIONS["report_read"] = frozenset({"finance"})


class Unauthenticated(Exception):
    """No verified identity reached the handler: 401."""


class Forbidden(Exception):
    """An identity that may not do this: 403."""


@attrs.frozen
class Principal:
    kind: Literal["resident", "staff"]
    subject: str
    resident_id: str | None = None
    groups: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How the ledger records who acted."""
        if self.kind == "resident":
            return f"resident:{self.resident_id}"
        return f"staff:{self.subject}"

    def may(self, action: str, resident_id: str | None) -> bool:
        if self.kind == "resident":
            return action in RESIDENT_ACTIONS and resident_id == self.resident_id
        if action not in STAFF_ACTIONS:
            return False
        required = GROUP_ACTIONS.get(action)
        return required is None or bool(required & self.groups)


def _groups(value: Any) -> frozenset[str]:
    """API Gateway passes groups as `"a,b"` (REST) or `"[a b]"` (HTTP API); accept a list too."""
    if value is None:
        return frozenset()
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = re.split(r"[,\s]+", str(value).strip().strip("[]"))
    return frozenset(i.strip() for i in items if i.strip())


def claims_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    if not isinstance(authorizer, Mapping):
        return None
    claims = authorizer.get("claims")
    return claims if isinstance(claims, Mapping) and claims else None


def principal_from_claims(claims: Mapping[str, Any] | None) -> Principal:
    if not claims:
        raise Unauthenticated("Missing or invalid credentials")
    subject = str(claims.get("cognito:username") or claims.get("sub") or "")
    groups = _groups(claims.get(GROUPS_CLAIM)) & STAFF_GROUPS
    if groups:
        return Principal(kind="staff", subject=subject or "unknown", groups=groups)
    resident_id = claims.get(RESIDENT_CLAIM)
    if isinstance(resident_id, str) and resident_id:
        return Principal(kind="resident", subject=subject or resident_id, resident_id=resident_id)
    raise Forbidden("This token grants no access to the payments API")


def authorize(principal: Principal, action: str, resident_id: str | None) -> None:
    if not principal.may(action, resident_id):
        raise Forbidden("Not allowed to do this for this resident")
