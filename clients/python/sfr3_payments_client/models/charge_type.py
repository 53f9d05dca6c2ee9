from enum import StrEnum


class ChargeType(StrEnum):
    DEPOSIT = "DEPOSIT"
    LATE_FEE = "LATE_FEE"
    OTHER = "OTHER"
    RENT = "RENT"
    UTILITY = "UTILITY"

    def __str__(self) -> str:
        return str(self.value)
