from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.lease_changed_status import LeaseChangedStatus

if TYPE_CHECKING:
    from ..models.terms import Terms
    from ..models.terms_version import TermsVersion


T = TypeVar("T", bound="LeaseChanged")


@_attrs_define
class LeaseChanged:
    changed_at: datetime.datetime
    changed_by: str
    currency: str
    effective_from: datetime.date
    """ The period the change applies from """
    email: None | str
    end_date: datetime.date | None
    lease_id: str
    property_id: str
    resident_id: str
    start_date: datetime.date
    state: str
    status: LeaseChangedStatus
    terms: Terms
    terms_history: list[TermsVersion]
    time_zone: str

    def to_dict(self) -> dict[str, Any]:
        changed_at = self.changed_at.isoformat()

        changed_by = self.changed_by

        currency = self.currency

        effective_from = self.effective_from.isoformat()

        email: None | str
        email = self.email

        end_date: None | str
        if isinstance(self.end_date, datetime.date):
            end_date = self.end_date.isoformat()
        else:
            end_date = self.end_date

        lease_id = self.lease_id

        property_id = self.property_id

        resident_id = self.resident_id

        start_date = self.start_date.isoformat()

        state = self.state

        status = self.status.value

        terms = self.terms.to_dict()

        terms_history = []
        for terms_history_item_data in self.terms_history:
            terms_history_item = terms_history_item_data.to_dict()
            terms_history.append(terms_history_item)

        time_zone = self.time_zone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "changedAt": changed_at,
                "changedBy": changed_by,
                "currency": currency,
                "effectiveFrom": effective_from,
                "email": email,
                "endDate": end_date,
                "leaseId": lease_id,
                "propertyId": property_id,
                "residentId": resident_id,
                "startDate": start_date,
                "state": state,
                "status": status,
                "terms": terms,
                "termsHistory": terms_history,
                "timeZone": time_zone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.terms import Terms  # noqa: PLC0415
        from ..models.terms_version import TermsVersion  # noqa: PLC0415

        d = dict(src_dict)
        changed_at = datetime.datetime.fromisoformat(d.pop("changedAt"))

        changed_by = d.pop("changedBy")

        currency = d.pop("currency")

        effective_from = datetime.date.fromisoformat(d.pop("effectiveFrom"))

        def _parse_email(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        email = _parse_email(d.pop("email"))

        def _parse_end_date(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                end_date_type_0 = datetime.date.fromisoformat(data)

                return end_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        end_date = _parse_end_date(d.pop("endDate"))

        lease_id = d.pop("leaseId")

        property_id = d.pop("propertyId")

        resident_id = d.pop("residentId")

        start_date = datetime.date.fromisoformat(d.pop("startDate"))

        state = d.pop("state")

        status = LeaseChangedStatus(d.pop("status"))

        terms = Terms.from_dict(d.pop("terms"))

        terms_history = []
        _terms_history = d.pop("termsHistory")
        for terms_history_item_data in _terms_history:
            terms_history_item = TermsVersion.from_dict(terms_history_item_data)

            terms_history.append(terms_history_item)

        time_zone = d.pop("timeZone")

        lease_changed = cls(
            changed_at=changed_at,
            changed_by=changed_by,
            currency=currency,
            effective_from=effective_from,
            email=email,
            end_date=end_date,
            lease_id=lease_id,
            property_id=property_id,
            resident_id=resident_id,
            start_date=start_date,
            state=state,
            status=status,
            terms=terms,
            terms_history=terms_history,
            time_zone=time_zone,
        )

        return lease_changed
