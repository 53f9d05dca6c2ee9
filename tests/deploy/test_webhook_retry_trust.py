"""The webhook retry queue's consumer deployed as its trust model needs: it reaches Stripe
through stripeService (URL and API key, like the webhook; no Stripe secret), may send only
to the webhook DLQ (where refused messages go) besides its own ledger and idempotency
rights, and a refusal pages (WebhookQueuedEventsRefused, the consumer's own metric)."""

from __future__ import annotations

from sfr3_lambdas import stripe_webhook
from tests.deploy.conftest import Package
from tests.deploy.test_alarms import alarm
from tests.deploy.test_iam import _statements
from tests.deploy.test_retries import _env

RETRY = "StripeWebhookRetryLambdaFunction"


def test_the_retry_consumer_reaches_stripe_as_the_webhook_does(package: Package) -> None:
    env, webhook = _env(package, RETRY), _env(package, "StripeWebhookLambdaFunction")
    for name in ("STRIPE_SERVICE_URL", "STRIPE_SERVICE_API_KEY"):
        assert env[name] == webhook[name], name
    assert not {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"} & set(env)
    assert env["WEBHOOK_RETRY_DLQ_URL"] == {"Ref": "WebhookRetryDLQ"}


def test_the_retry_consumer_sends_only_to_the_webhook_dlq(package: Package) -> None:
    sends = [s for s in _statements(package, RETRY)
             if "sqs:SendMessage" in ([s["Action"]] if isinstance(s["Action"], str)
                                      else s["Action"])]
    assert sends == [{"Effect": "Allow", "Action": ["sqs:SendMessage"],
                      "Resource": {"Fn::GetAtt": ["WebhookRetryDLQ", "Arn"]}}]


def test_a_refused_queued_event_pages(package: Package) -> None:
    props = alarm(package, "WebhookQueuedEventRefusedAlarm")
    assert props["MetricName"] == "WebhookQueuedEventsRefused"
    assert props["Namespace"] == stripe_webhook.metrics.namespace
    assert props["Dimensions"] == [{"Name": "service", "Value": "stripeWebhook"}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
