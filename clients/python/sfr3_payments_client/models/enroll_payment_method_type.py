from enum import StrEnum


class EnrollPaymentMethodType(StrEnum):
    CARD = "card"
    US_BANK_ACCOUNT = "us_bank_account"

    def __str__(self) -> str:
        return str(self.value)
