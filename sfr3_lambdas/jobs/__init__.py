"""The scheduled jobs, deployed (issue 11; design in docs/architecture.md, "Scheduled jobs").

* `scheduler`: invoked by EventBridge Scheduler once per (job, time zone) at the job's local
  time; plans the run from the schedule read model and queues one SQS message per resident.
* `worker`: the SQS consumer; does each item against the resident's aggregates, idempotently,
  reporting failed items (Powertools batch) so only they are retried and, after 5 receives,
  parked in the jobs DLQ.
* `projection`: a consumer of the events table's stream that keeps the schedule read model
  (leases, due days, late-fee candidates) up to date from the ledger's events.
"""
