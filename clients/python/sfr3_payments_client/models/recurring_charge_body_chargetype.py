from enum import StrEnum


class RecurringChargeBodyChargetype(StrEnum):
    DEPOSIT = "DEPOSIT"
    OTHER = "OTHER"
    UTILITY = "UTILITY"

    def __str__(self) -> str:
        return str(self.value)
