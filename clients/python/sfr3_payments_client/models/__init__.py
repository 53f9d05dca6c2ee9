"""Contains all the data models used in inputs/outputs"""

from .change_autopay import ChangeAutopay
from .change_lease import ChangeLease
from .empty_body import EmptyBody
from .end_lease import EndLease
from .enroll_autopay import EnrollAutopay
from .enroll_payment_method import EnrollPaymentMethod
from .enroll_payment_method_type import EnrollPaymentMethodType
from .evidence_upload import EvidenceUpload
from .evidence_upload_category import EvidenceUploadCategory
from .evidence_upload_contenttype import EvidenceUploadContenttype
from .flat_fee import FlatFee
from .get_report_reports_reconciliation_day_get_format import GetReportReportsReconciliationDayGetFormat
from .http_validation_error import HTTPValidationError
from .list_disputes_disputes_get_status_type_0 import ListDisputesDisputesGetStatusType0
from .make_payment import MakePayment
from .percent_fee import PercentFee
from .post_charge import PostCharge
from .post_charge_chargetype import PostChargeChargetype
from .recurring_charge_body import RecurringChargeBody
from .recurring_charge_body_chargetype import RecurringChargeBodyChargetype
from .refund import Refund
from .response_validation_error import ResponseValidationError
from .start_lease import StartLease
from .submit_evidence import SubmitEvidence
from .validation_error import ValidationError

__all__ = (
    "ChangeAutopay",
    "ChangeLease",
    "EmptyBody",
    "EndLease",
    "EnrollAutopay",
    "EnrollPaymentMethod",
    "EnrollPaymentMethodType",
    "EvidenceUpload",
    "EvidenceUploadCategory",
    "EvidenceUploadContenttype",
    "FlatFee",
    "GetReportReportsReconciliationDayGetFormat",
    "HTTPValidationError",
    "ListDisputesDisputesGetStatusType0",
    "MakePayment",
    "PercentFee",
    "PostCharge",
    "PostChargeChargetype",
    "RecurringChargeBody",
    "RecurringChargeBodyChargetype",
    "Refund",
    "ResponseValidationError",
    "StartLease",
    "SubmitEvidence",
    "ValidationError",
)
