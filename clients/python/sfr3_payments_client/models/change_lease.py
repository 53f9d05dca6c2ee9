from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.flat_fee import FlatFee
    from ..models.percent_fee import PercentFee
    from ..models.recurring_charge_body import RecurringChargeBody


T = TypeVar("T", bound="ChangeLease")


@_attrs_define
class ChangeLease:
    email: None | str | Unset = UNSET
    grace_days: int | None | Unset = UNSET
    late_fee: FlatFee | None | PercentFee | Unset = UNSET
    monthly_rent: int | None | Unset = UNSET
    recurring_charges: list[RecurringChargeBody] | None | Unset = UNSET
    rent_due_day: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.flat_fee import FlatFee  # noqa: PLC0415
        from ..models.percent_fee import PercentFee  # noqa: PLC0415

        email: None | str | Unset
        if isinstance(self.email, Unset):
            email = UNSET
        else:
            email = self.email

        grace_days: int | None | Unset
        if isinstance(self.grace_days, Unset):
            grace_days = UNSET
        else:
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

        monthly_rent: int | None | Unset
        if isinstance(self.monthly_rent, Unset):
            monthly_rent = UNSET
        else:
            monthly_rent = self.monthly_rent

        recurring_charges: list[dict[str, Any]] | None | Unset
        if isinstance(self.recurring_charges, Unset):
            recurring_charges = UNSET
        elif isinstance(self.recurring_charges, list):
            recurring_charges = []
            for recurring_charges_type_0_item_data in self.recurring_charges:
                recurring_charges_type_0_item = recurring_charges_type_0_item_data.to_dict()
                recurring_charges.append(recurring_charges_type_0_item)

        else:
            recurring_charges = self.recurring_charges

        rent_due_day: int | None | Unset
        if isinstance(self.rent_due_day, Unset):
            rent_due_day = UNSET
        else:
            rent_due_day = self.rent_due_day

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if email is not UNSET:
            field_dict["email"] = email
        if grace_days is not UNSET:
            field_dict["graceDays"] = grace_days
        if late_fee is not UNSET:
            field_dict["lateFee"] = late_fee
        if monthly_rent is not UNSET:
            field_dict["monthlyRent"] = monthly_rent
        if recurring_charges is not UNSET:
            field_dict["recurringCharges"] = recurring_charges
        if rent_due_day is not UNSET:
            field_dict["rentDueDay"] = rent_due_day

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.flat_fee import FlatFee  # noqa: PLC0415
        from ..models.percent_fee import PercentFee  # noqa: PLC0415
        from ..models.recurring_charge_body import RecurringChargeBody  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_email(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        email = _parse_email(d.pop("email", UNSET))

        def _parse_grace_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        grace_days = _parse_grace_days(d.pop("graceDays", UNSET))

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

        def _parse_monthly_rent(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        monthly_rent = _parse_monthly_rent(d.pop("monthlyRent", UNSET))

        def _parse_recurring_charges(data: object) -> list[RecurringChargeBody] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                recurring_charges_type_0 = []
                _recurring_charges_type_0 = data
                for recurring_charges_type_0_item_data in _recurring_charges_type_0:
                    recurring_charges_type_0_item = RecurringChargeBody.from_dict(recurring_charges_type_0_item_data)

                    recurring_charges_type_0.append(recurring_charges_type_0_item)

                return recurring_charges_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[RecurringChargeBody] | None | Unset, data)

        recurring_charges = _parse_recurring_charges(d.pop("recurringCharges", UNSET))

        def _parse_rent_due_day(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rent_due_day = _parse_rent_due_day(d.pop("rentDueDay", UNSET))

        change_lease = cls(
            email=email,
            grace_days=grace_days,
            late_fee=late_fee,
            monthly_rent=monthly_rent,
            recurring_charges=recurring_charges,
            rent_due_day=rent_due_day,
        )

        return change_lease
