"""The jobs' work queue on SQS: `WorkQueue` (sfr3_ledger.jobs) by SendMessageBatch.

SendMessageBatch takes at most 10 entries (and 256 KiB) per call and may accept some
entries while rejecting others; only the rejected entries are sent again, with backoff
(sfr3_adapters.batching). If any entry is still rejected after the last attempt, `send`
raises: the job run is then not recorded, and the next run plans the same items again
(every item is idempotent, so the ones that did get through are harmless twice).

The queue is a standard queue: no deduplication ids (workers are idempotent per item).
Message body: `WorkItem.to_json()` as compact JSON. The batches of one `send` go out on up
to `parallel` threads (boto3 clients are thread-safe): a due day of 100,000 residents is
10,000 calls, which one thread would spend minutes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sfr3_adapters.aws_clients import client as aws_client
from sfr3_adapters.batching import batches, send_with_retries
from sfr3_ledger.jobs import WorkItem

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024


class QueueSendFailed(RuntimeError):
    """Some work items were not accepted by SQS after every retry."""


def body(item: WorkItem) -> str:
    return json.dumps(item.to_json(), separators=(",", ":"), sort_keys=True)


class SQSWorkQueue:
    def __init__(
        self,
        queue_url: str,
        client: Any = None,
        *,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        parallel: int = 8,
    ) -> None:
        self.queue_url = queue_url
        self._client = client
        self.max_attempts = max_attempts
        self._sleep = sleep
        self.parallel = parallel

    @property
    def client(self) -> Any:
        return self._client or aws_client("sqs")

    def send(self, items: Sequence[WorkItem]) -> None:
        work = list(batches(items, MAX_ENTRIES, MAX_REQUEST_BYTES, lambda i: len(body(i)) + 64))

        def one(batch: list[WorkItem]) -> list[WorkItem]:
            return send_with_retries(
                batch, self._send_batch, max_attempts=self.max_attempts, sleep=self._sleep)

        if len(work) <= 1 or self.parallel <= 1:
            results = [one(batch) for batch in work]
        else:
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(work))) as pool:
                results = list(pool.map(one, work))
        failed = [item for result in results for item in result]
        if failed:
            raise QueueSendFailed(
                f"{len(failed)} of {len(items)} work items not queued "
                f"(first: {failed[0].job} {failed[0].resident_id})")

    def _send_batch(self, pending: list[WorkItem]) -> list[dict[str, Any]]:
        """One result per entry, in order; `ErrorCode` marks a rejected entry."""
        answer = self.client.send_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(n), "MessageBody": body(item)} for n, item in enumerate(pending)],
        )
        rejected = {f["Id"]: f for f in answer.get("Failed", [])}
        return [
            {"ErrorCode": rejected[str(n)].get("Code", "Failed")} if str(n) in rejected else {}
            for n in range(len(pending))
        ]
