from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.dispute_status import DisputeStatus

T = TypeVar("T", bound="Dispute")


@_attrs_define
class Dispute:
    amount: int
    chargeback: int
    """ Cents taken back by the chargeback (0 if none) """
    closed_at: datetime.datetime | None
    currency: str
    dispute_id: str
    evidence_submitted: bool
    evidence_submitted_at: datetime.datetime | None
    opened_at: datetime.datetime
    payment_id: str
    property_id: None | str
    reason: str
    resident_id: str
    status: DisputeStatus

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        chargeback = self.chargeback

        closed_at: None | str
        if isinstance(self.closed_at, datetime.datetime):
            closed_at = self.closed_at.isoformat()
        else:
            closed_at = self.closed_at

        currency = self.currency

        dispute_id = self.dispute_id

        evidence_submitted = self.evidence_submitted

        evidence_submitted_at: None | str
        if isinstance(self.evidence_submitted_at, datetime.datetime):
            evidence_submitted_at = self.evidence_submitted_at.isoformat()
        else:
            evidence_submitted_at = self.evidence_submitted_at

        opened_at = self.opened_at.isoformat()

        payment_id = self.payment_id

        property_id: None | str
        property_id = self.property_id

        reason = self.reason

        resident_id = self.resident_id

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeback": chargeback,
                "closedAt": closed_at,
                "currency": currency,
                "disputeId": dispute_id,
                "evidenceSubmitted": evidence_submitted,
                "evidenceSubmittedAt": evidence_submitted_at,
                "openedAt": opened_at,
                "paymentId": payment_id,
                "propertyId": property_id,
                "reason": reason,
                "residentId": resident_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        chargeback = d.pop("chargeback")

        def _parse_closed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                closed_at_type_0 = datetime.datetime.fromisoformat(data)

                return closed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        closed_at = _parse_closed_at(d.pop("closedAt"))

        currency = d.pop("currency")

        dispute_id = d.pop("disputeId")

        evidence_submitted = d.pop("evidenceSubmitted")

        def _parse_evidence_submitted_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                evidence_submitted_at_type_0 = datetime.datetime.fromisoformat(data)

                return evidence_submitted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        evidence_submitted_at = _parse_evidence_submitted_at(d.pop("evidenceSubmittedAt"))

        opened_at = datetime.datetime.fromisoformat(d.pop("openedAt"))

        payment_id = d.pop("paymentId")

        def _parse_property_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        property_id = _parse_property_id(d.pop("propertyId"))

        reason = d.pop("reason")

        resident_id = d.pop("residentId")

        status = DisputeStatus(d.pop("status"))

        dispute = cls(
            amount=amount,
            chargeback=chargeback,
            closed_at=closed_at,
            currency=currency,
            dispute_id=dispute_id,
            evidence_submitted=evidence_submitted,
            evidence_submitted_at=evidence_submitted_at,
            opened_at=opened_at,
            payment_id=payment_id,
            property_id=property_id,
            reason=reason,
            resident_id=resident_id,
            status=status,
        )

        return dispute
