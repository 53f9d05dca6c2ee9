"""Contains all the data models used in inputs/outputs"""

from .autopay import Autopay
from .autopay_status import AutopayStatus
from .balance import Balance
from .change_autopay import ChangeAutopay
from .change_lease import ChangeLease
from .charge_type import ChargeType
from .charged_period import ChargedPeriod
from .class_totals import ClassTotals
from .dispute import Dispute
from .dispute_detail import DisputeDetail
from .dispute_page import DisputePage
from .dispute_status import DisputeStatus
from .disputed_payment import DisputedPayment
from .empty_body import EmptyBody
from .end_lease import EndLease
from .enroll_autopay import EnrollAutopay
from .enroll_payment_method import EnrollPaymentMethod
from .enroll_payment_method_type import EnrollPaymentMethodType
from .error_body import ErrorBody
from .evidence_file import EvidenceFile
from .evidence_submitted import EvidenceSubmitted
from .evidence_upload import EvidenceUpload
from .evidence_upload_category import EvidenceUploadCategory
from .evidence_upload_contenttype import EvidenceUploadContenttype
from .failure_reason import FailureReason
from .file_upload import FileUpload
from .file_upload_headers import FileUploadHeaders
from .flat_fee import FlatFee
from .flat_fee_terms import FlatFeeTerms
from .gateway_error import GatewayError
from .get_report_format import GetReportFormat
from .health_day import HealthDay
from .health_period import HealthPeriod
from .invalid_field import InvalidField
from .late_fee_ref import LateFeeRef
from .lease import Lease
from .lease_changed import LeaseChanged
from .lease_changed_status import LeaseChangedStatus
from .lease_status import LeaseStatus
from .list_disputes_status_type_0 import ListDisputesStatusType0
from .make_payment import MakePayment
from .payment import Payment
from .payment_accepted import PaymentAccepted
from .payment_attempt import PaymentAttempt
from .payment_health import PaymentHealth
from .payment_history import PaymentHistory
from .payment_method import PaymentMethod
from .payment_method_list import PaymentMethodList
from .payment_method_type import PaymentMethodType
from .payment_status import PaymentStatus
from .percent_fee import PercentFee
from .percent_fee_terms import PercentFeeTerms
from .post_charge import PostCharge
from .post_charge_chargetype import PostChargeChargetype
from .posted_charge import PostedCharge
from .presigned_post import PresignedPost
from .presigned_post_fields import PresignedPostFields
from .reconciliation_summary import ReconciliationSummary
from .reconciliation_summary_counts import ReconciliationSummaryCounts
from .reconciliation_summary_mismatch_items_item import ReconciliationSummaryMismatchItemsItem
from .reconciliation_summary_totals import ReconciliationSummaryTotals
from .recurring_charge_body import RecurringChargeBody
from .recurring_charge_body_chargetype import RecurringChargeBodyChargetype
from .recurring_charge_terms import RecurringChargeTerms
from .refund import Refund
from .refund_result import RefundResult
from .report_day import ReportDay
from .report_day_counts_type_0 import ReportDayCountsType0
from .report_index import ReportIndex
from .skipped_period import SkippedPeriod
from .start_lease import StartLease
from .state_totals import StateTotals
from .statement import Statement
from .statement_charge import StatementCharge
from .statement_charge_status import StatementChargeStatus
from .statement_totals import StatementTotals
from .stripe_dispute_view import StripeDisputeView
from .stripe_totals import StripeTotals
from .submit_evidence import SubmitEvidence
from .terms import Terms
from .terms_version import TermsVersion
from .upload_target import UploadTarget
from .window import Window

__all__ = (
    "Autopay",
    "AutopayStatus",
    "Balance",
    "ChangeAutopay",
    "ChangeLease",
    "ChargedPeriod",
    "ChargeType",
    "ClassTotals",
    "Dispute",
    "DisputeDetail",
    "DisputedPayment",
    "DisputePage",
    "DisputeStatus",
    "EmptyBody",
    "EndLease",
    "EnrollAutopay",
    "EnrollPaymentMethod",
    "EnrollPaymentMethodType",
    "ErrorBody",
    "EvidenceFile",
    "EvidenceSubmitted",
    "EvidenceUpload",
    "EvidenceUploadCategory",
    "EvidenceUploadContenttype",
    "FailureReason",
    "FileUpload",
    "FileUploadHeaders",
    "FlatFee",
    "FlatFeeTerms",
    "GatewayError",
    "GetReportFormat",
    "HealthDay",
    "HealthPeriod",
    "InvalidField",
    "LateFeeRef",
    "Lease",
    "LeaseChanged",
    "LeaseChangedStatus",
    "LeaseStatus",
    "ListDisputesStatusType0",
    "MakePayment",
    "Payment",
    "PaymentAccepted",
    "PaymentAttempt",
    "PaymentHealth",
    "PaymentHistory",
    "PaymentMethod",
    "PaymentMethodList",
    "PaymentMethodType",
    "PaymentStatus",
    "PercentFee",
    "PercentFeeTerms",
    "PostCharge",
    "PostChargeChargetype",
    "PostedCharge",
    "PresignedPost",
    "PresignedPostFields",
    "ReconciliationSummary",
    "ReconciliationSummaryCounts",
    "ReconciliationSummaryMismatchItemsItem",
    "ReconciliationSummaryTotals",
    "RecurringChargeBody",
    "RecurringChargeBodyChargetype",
    "RecurringChargeTerms",
    "Refund",
    "RefundResult",
    "ReportDay",
    "ReportDayCountsType0",
    "ReportIndex",
    "SkippedPeriod",
    "StartLease",
    "Statement",
    "StatementCharge",
    "StatementChargeStatus",
    "StatementTotals",
    "StateTotals",
    "StripeDisputeView",
    "StripeTotals",
    "SubmitEvidence",
    "Terms",
    "TermsVersion",
    "UploadTarget",
    "Window",
)
