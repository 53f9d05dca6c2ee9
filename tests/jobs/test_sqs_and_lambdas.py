"""Split by concept (tests/jobs/test_sqs_work_queue.py, test_jobs_lambdas.py,
test_autopay_sweep_lambdas.py, test_notifications_lambda.py; shared pieces in
tests/jobs/sqs_support.py). `drain` stays importable from here for older imports."""

from tests.jobs.sqs_support import drain

__all__ = ["drain"]
