from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.reconciliation_summary_counts import ReconciliationSummaryCounts
    from ..models.reconciliation_summary_mismatch_items_item import ReconciliationSummaryMismatchItemsItem
    from ..models.reconciliation_summary_totals import ReconciliationSummaryTotals
    from ..models.stripe_totals import StripeTotals


T = TypeVar("T", bound="ReconciliationSummary")


@_attrs_define
class ReconciliationSummary:
    """`summary.json` as the reconciliation job wrote it (sfr3_ledger/reconciliation.py)."""

    counts: ReconciliationSummaryCounts
    day: datetime.date
    first_run_id: None | str
    healed: int
    ledger_total: int
    mismatch_items: list[ReconciliationSummaryMismatchItemsItem]
    """ The report's CSV rows that are mismatches """
    mismatches: int
    stripe_totals: StripeTotals
    totals: ReconciliationSummaryTotals
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts.to_dict()

        day = self.day.isoformat()

        first_run_id: None | str
        first_run_id = self.first_run_id

        healed = self.healed

        ledger_total = self.ledger_total

        mismatch_items = []
        for mismatch_items_item_data in self.mismatch_items:
            mismatch_items_item = mismatch_items_item_data.to_dict()
            mismatch_items.append(mismatch_items_item)

        mismatches = self.mismatches

        stripe_totals = self.stripe_totals.to_dict()

        totals = self.totals.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "counts": counts,
                "day": day,
                "firstRunId": first_run_id,
                "healed": healed,
                "ledgerTotal": ledger_total,
                "mismatchItems": mismatch_items,
                "mismatches": mismatches,
                "stripeTotals": stripe_totals,
                "totals": totals,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.reconciliation_summary_counts import ReconciliationSummaryCounts  # noqa: PLC0415
        from ..models.reconciliation_summary_mismatch_items_item import ReconciliationSummaryMismatchItemsItem  # noqa: PLC0415
        from ..models.reconciliation_summary_totals import ReconciliationSummaryTotals  # noqa: PLC0415
        from ..models.stripe_totals import StripeTotals  # noqa: PLC0415

        d = dict(src_dict)
        counts = ReconciliationSummaryCounts.from_dict(d.pop("counts"))

        day = datetime.date.fromisoformat(d.pop("day"))

        def _parse_first_run_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        first_run_id = _parse_first_run_id(d.pop("firstRunId"))

        healed = d.pop("healed")

        ledger_total = d.pop("ledgerTotal")

        mismatch_items = []
        _mismatch_items = d.pop("mismatchItems")
        for mismatch_items_item_data in _mismatch_items:
            mismatch_items_item = ReconciliationSummaryMismatchItemsItem.from_dict(mismatch_items_item_data)

            mismatch_items.append(mismatch_items_item)

        mismatches = d.pop("mismatches")

        stripe_totals = StripeTotals.from_dict(d.pop("stripeTotals"))

        totals = ReconciliationSummaryTotals.from_dict(d.pop("totals"))

        reconciliation_summary = cls(
            counts=counts,
            day=day,
            first_run_id=first_run_id,
            healed=healed,
            ledger_total=ledger_total,
            mismatch_items=mismatch_items,
            mismatches=mismatches,
            stripe_totals=stripe_totals,
            totals=totals,
        )

        reconciliation_summary.additional_properties = d
        return reconciliation_summary

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
