from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.flat_fee import FlatFee
    from ..models.percent_fee import PercentFee
    from ..models.recurring_charge_body import RecurringChargeBody


T = TypeVar("T", bound="StartLease")


@_attrs_define
class StartLease:
    monthly_rent: int
    """ Integer cents (USD) """
    property_id: str
    rent_due_day: int
    """ Day of the month, 1-28 """
    start_date: str
    """ Calendar date, YYYY-MM-DD """
    state: str
    email: None | str | Unset = UNSET
    end_date: None | str | Unset = UNSET
    grace_days: int | Unset = 5
    """ Days after the due date """
    late_fee: FlatFee | None | PercentFee | Unset = UNSET
    lease_id: None | str | Unset = UNSET
    recurring_charges: list[RecurringChargeBody] | Unset = UNSET
    time_zone: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.flat_fee import FlatFee  # noqa: PLC0415
        from ..models.percent_fee import PercentFee  # noqa: PLC0415

        monthly_rent = self.monthly_rent

        property_id = self.property_id

        rent_due_day = self.rent_due_day

        start_date = self.start_date

        state = self.state

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        end_date: None | str | Unset
        if isinstance(self.end_date, Unset):
            end_date = UNSET
        else:
            end_date = self.end_date

        grace_days = self.grace_days

        late_fee: dict[str, Any] | None | Unset
        if isinstance(self.late_fee, Unset):
            late_fee = UNSET
        elif isinstance(self.late_fee, FlatFee):
            late_fee = self.late_fee.to_dict()
        elif isinstance(self.late_fee, PercentFee):
            late_fee = self.late_fee.to_dict()
        else:
            late_fee = self.late_fee

        lease_id: None | str | Unset
        if isinstance(self.lease_id, Unset):
            lease_id = UNSET
        else:
            lease_id = self.lease_id

        recurring_charges: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.recurring_charges, Unset):
            recurring_charges = []
            for recurring_charges_item_data in self.recurring_charges:
                recurring_charges_item = recurring_charges_item_data.to_dict()
                recurring_charges.append(recurring_charges_item)

        time_zone: None | str | Unset
        if isinstance(self.time_zone, Unset):
            time_zone = UNSET
        else:
            time_zone = self.time_zone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "monthlyRent": monthly_rent,
                "propertyId": property_id,
                "rentDueDay": rent_due_day,
                "startDate": start_date,
                "state": state,
            }
        )
        if email is not UNSET:
            field_dict["email"] = email
        if end_date is not UNSET:
            field_dict["endDate"] = end_date
        if grace_days is not UNSET:
            field_dict["graceDays"] = grace_days
        if late_fee is not UNSET:
            field_dict["lateFee"] = late_fee
        if lease_id is not UNSET:
            field_dict["leaseId"] = lease_id
        if recurring_charges is not UNSET:
            field_dict["recurringCharges"] = recurring_charges
        if time_zone is not UNSET:
            field_dict["timeZone"] = time_zone

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.flat_fee import FlatFee  # noqa: PLC0415
        from ..models.percent_fee import PercentFee  # noqa: PLC0415
        from ..models.recurring_charge_body import RecurringChargeBody  # noqa: PLC0415

        d = dict(src_dict)
        monthly_rent = d.pop("monthlyRent")

        property_id = d.pop("propertyId")

        rent_due_day = d.pop("rentDueDay")

        start_date = d.pop("startDate")

        state = d.pop("state")

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_end_date(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        end_date = _parse_end_date(d.pop("endDate", UNSET))

        grace_days = d.pop("graceDays", UNSET)

        def _parse_late_fee(data: object) -> FlatFee | None | PercentFee | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                late_fee_type_0_type_0 = FlatFee.from_dict(data)

                return late_fee_type_0_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                late_fee_type_0_type_1 = PercentFee.from_dict(data)

                return late_fee_type_0_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FlatFee | None | PercentFee | Unset, data)

        late_fee = _parse_late_fee(d.pop("lateFee", UNSET))

        def _parse_lease_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lease_id = _parse_lease_id(d.pop("leaseId", UNSET))

        _recurring_charges = d.pop("recurringCharges", UNSET)
        recurring_charges: list[RecurringChargeBody] | Unset = UNSET
        if _recurring_charges is not UNSET:
            recurring_charges = []
            for recurring_charges_item_data in _recurring_charges:
                recurring_charges_item = RecurringChargeBody.from_dict(recurring_charges_item_data)

                recurring_charges.append(recurring_charges_item)

        def _parse_time_zone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        time_zone = _parse_time_zone(d.pop("timeZone", UNSET))

        start_lease = cls(
            monthly_rent=monthly_rent,
            property_id=property_id,
            rent_due_day=rent_due_day,
            start_date=start_date,
            state=state,
            email=email,
            end_date=end_date,
            grace_days=grace_days,
            late_fee=late_fee,
            lease_id=lease_id,
            recurring_charges=recurring_charges,
            time_zone=time_zone,
        )

        return start_lease
