"""The local stack (what `make run` serves) started in-process on free ports, for tests.

Fixture `stack` is session-scoped: SQLite by default; a test module can ask for other
ledger backends with `@pytest.mark.parametrize("stack", [...], indirect=True)` (the
DynamoDB pass uses DynamoDB Local). Tests isolate themselves with fresh resident ids,
never by resetting shared state. `api` gives a small HTTP client with tokens.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sfr3_dev import tokens
from sfr3_dev.local_stack import LocalStack
from tests.harness.dynamodb_local import tables_without_stream


class Stack:
    def __init__(self, stack: LocalStack, backend: str) -> None:
        self.local = stack
        self.url = stack.url
        self.home: Path = stack.home
        self.backend = backend
        assert stack.sandbox is not None
        self.sandbox = stack.sandbox

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.post(f"{self.sandbox.url}/_sandbox/{path}", json=body or {},
                                 timeout=60)
        response.raise_for_status()
        return response.json()

    def drain(self) -> None:
        """Wait until every webhook the sandbox queued has been delivered and answered."""
        assert self.sandbox.dispatcher.drain(30), "webhook deliveries stuck"

    def token(self, *, resident: str | None = None, staff: str | None = None,
              groups: tuple[str, ...] = ()) -> str:
        return tokens.issue(resident=resident, staff=staff, groups=groups, root=self.home)

    def ledger(self) -> Any:
        from sfr3_lambdas import wiring

        return wiring.ledger()


class Client:
    """HTTP as a tenant would speak it; `as_` picks the bearer token."""

    def __init__(self, stack: Stack, token: str | None) -> None:
        self.stack, self.token = stack, token

    def request(self, method: str, path: str, body: Any = None, *, raw: str | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return requests.request(method, f"{self.stack.url}{path}", data=data, headers=hdrs,
                                timeout=60, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)


def backend_env(name: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if name == "sqlite":
        return {}
    if name == "dynamodb":
        endpoint = request.getfixturevalue("dynamodb_local")
        table = f"e2e-{uuid.uuid4().hex[:10]}"
        tables_without_stream(endpoint, table)  # the local backbone follows the log
        return {"PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
                "DYNAMODB_TABLE": table,
                "DYNAMODB_ENDPOINT_URL": endpoint, "CREATE_TABLE": "y"}
    raise ValueError(name)


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    backend = getattr(request, "param", "sqlite")
    if _live:  # its start would reset the process-global wiring, closing the live ledger
        pytest.fail(f"a second local stack for {request.node.nodeid} while one serves: a "
                    "module imported the `stack` fixture (a second fixture of that name); "
                    "use the tests.e2e.stack plugin's", pytrace=False)
    home = tmp_path_factory.mktemp(f"sfr3-home-{backend}")
    local = LocalStack(home, port=0, env=backend_env(backend, request),
                       persist_sandbox=False, sandbox_retry_delays=(0.05, 0.1, 0.2, 0.5),
                       run_scheduler=False)
    with local:
        _live.append(local)
        try:
            yield Stack(local, backend)
        finally:
            _live.remove(local)


# The stack serving now (at most one: a session fixture with a new param stops the old
# one first, and a second fixture of the name is refused above).
_live: list[LocalStack] = []


@pytest.fixture(autouse=True)
def _live_stack_ledger_stays_open(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test that closes the live stack's ledger, at its own teardown: the stack's
    followers would otherwise fail on a closed pool for the rest of the session, and the
    failure would surface tests later, far from its cause."""
    yield
    if not _live or _live[-1].backbone is None:
        return
    from eventsourcing.persistence import ConnectionPoolClosedError

    try:
        _live[-1].backbone.app.recorder.max_notification_id()
    except ConnectionPoolClosedError:
        pytest.fail(f"{request.node.nodeid} closed the live local stack's ledger", pytrace=False)


@pytest.fixture(autouse=True)
def _live_stack_keeps_its_ledger(request: pytest.FixtureRequest,
                                 monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that does not use the stack but resets the Lambda wiring (to build its own
    ledger from its own environment) must not close the ledger of the session's stack,
    which stays up for the whole session: its backbone and followers hold that ledger
    object, and would fail on a closed pool every 0.2 s (logging a traceback each time)
    and never project again; the stack's API would quietly rebuild a second ledger. So
    while a stack serves, such a test's `wiring.reset()` forgets the stack's objects
    without closing its ledger, and after the test the wiring is given back to the stack
    (what the test built is closed)."""
    if not _live or "stack" in request.fixturenames:
        yield
        return
    from sfr3_lambdas import wiring

    kept = _live[-1].backbone.app if _live[-1].backbone is not None else None
    saved = dict(wiring._built)
    real_reset = wiring.reset

    def reset() -> None:
        with wiring._lock:
            ledger = wiring._built.pop("ledger", None)
            wiring._built.clear()
        if ledger is not None and ledger is not kept:
            ledger.close()

    monkeypatch.setattr(wiring, "reset", reset)
    yield
    reset()
    monkeypatch.setattr(wiring, "reset", real_reset)
    with wiring._lock:
        wiring._built.update(saved)


@pytest.fixture
def rid() -> str:
    return f"res-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def resident(stack: Stack, rid: str) -> Client:
    return Client(stack, stack.token(resident=rid))


@pytest.fixture
def manager(stack: Stack) -> Client:
    return Client(stack, stack.token(staff="pm-1", groups=("property-managers",)))


@pytest.fixture
def finance(stack: Stack) -> Client:
    return Client(stack, stack.token(staff="fin-1", groups=("finance",)))


@pytest.fixture
def webhook_switches(stack: Stack) -> Iterator[Stack]:
    """The sandbox's delivery switches (duplicates/hold), turned off again afterwards."""
    yield stack
    stack.control("webhooks/release", {"order": "fifo"})
    stack.control("webhooks", {"duplicates": False, "hold": False})
    stack.drain()


def enroll(client: Client, rid: str, pm: str = "pm_card_visa") -> str:
    r = client.post(f"/residents/{rid}/payment-methods", {"type": "card", "paymentMethodId": pm})
    assert r.status_code == 201, r.text
    return str(r.json()["methodId"])


def charge(client: Client, rid: str, amount: int = 2100) -> None:
    r = client.post(f"/residents/{rid}/charges",
                    {"amount": amount, "chargeType": "RENT", "description": "Rent"})
    assert r.status_code == 201, r.text


def wait_for(fetch: Any, predicate: Any, timeout: float = 20.0) -> Any:
    """`fetch()` until `predicate` holds of its value or `timeout` seconds pass; the last value
    (the caller's assertion says what was expected)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if predicate(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
