from enum import StrEnum


class EvidenceUploadCategory(StrEnum):
    CUSTOMER_COMMUNICATION = "customer_communication"
    CUSTOMER_SIGNATURE = "customer_signature"
    RECEIPT = "receipt"
    REFUND_POLICY = "refund_policy"
    SERVICE_DOCUMENTATION = "service_documentation"
    UNCATEGORIZED_FILE = "uncategorized_file"

    def __str__(self) -> str:
        return str(self.value)
