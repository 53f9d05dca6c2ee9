"""The scheduled jobs, deployed (issue 11; design in docs/architecture.md, "Scheduled jobs").

* `scheduler`: invoked by EventBridge Scheduler once per (job, time zone) at the job's local
  time; plans the run from the schedule read model and queues one SQS message per resident
  (the autopay sweep's on the payments queue, the other jobs' on the jobs queue).
* `worker`: the consumer of both queues; does each item against the resident's aggregates
  (the sweep pays through PaymentService, within a share of Stripe's rate limit), idempotently,
  reporting failed items (Powertools batch) so only they are retried and, after 5 receives,
  parked in the jobs DLQ.
* `read_models`: the events table's stream's second reader; it keeps every read model up to
  date from the ledger's events (`projection`: the schedule read model's leases, due days,
  late-fee candidates and autopay charge days; `finance_projection`, `payments_projection`,
  and the payment watch in `retries`), through the shared step in `stream_projection`.
"""
