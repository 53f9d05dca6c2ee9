from enum import StrEnum


class PaymentStatus(StrEnum):
    FAILED = "FAILED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    PENDING = "PENDING"
    REFUNDED = "REFUNDED"
    SETTLED = "SETTLED"

    def __str__(self) -> str:
        return str(self.value)
