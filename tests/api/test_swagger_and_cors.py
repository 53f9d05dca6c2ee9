"""Swagger UI under `make run` and CORS from `SFR3_CORS_ORIGINS`, through HTTP.

Swagger: the session's local stack serves `GET /swagger` (Powertools' Swagger UI with the
API's document) without a token, while every API route still needs one. CORS is read at
cold start, so it is proven on a `sfr3 run` of its own started with the variable set:
preflights answered without a token, the allowed origin echoed on answers and refusals
(the gateway's 401/400, the gate's 403/415), nothing for an origin not listed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aws_lambda_powertools.event_handler.api_gateway import CORSConfig

from sfr3_dev import openapi, tokens
from sfr3_dev.gateway import LocalContext, proxy_event
from sfr3_lambdas import api
from sfr3_lambdas.api import cors
from sfr3_lambdas.config import ConfigError
from tests.harness.procs import ROOT, free_port, wait_http

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"


def test_swagger_ui_is_served_without_a_token(stack) -> None:
    page = requests.get(f"{stack.url}/swagger", timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text and "sfr3-payments API" in page.text
    # Powertools' bundled JS/CSS, inline: the page needs no network beyond `make run`.
    assert "<script src=" not in page.text and "<link rel='stylesheet'" not in page.text
    spec = requests.get(f"{stack.url}/swagger", params={"format": "json"}, timeout=30)
    assert spec.status_code == 200 and spec.headers["Content-Type"] == "application/json"
    served, written = spec.json(), json.loads(openapi.DOC.read_text())
    # The very document of docs/openapi.json; only the server differs (same origin here).
    assert served["paths"] == written["paths"]
    assert served["components"] == written["components"]
    assert served["security"] == [{"cognito": []}]
    assert [s["url"] for s in served["servers"]] == ["/"]


def test_the_api_routes_still_need_a_token(stack, rid) -> None:
    r = requests.get(f"{stack.url}/residents/{rid}/balance", timeout=30)
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    # CORS is off in this stack: an OPTIONS reaches the function, which refuses it (401).
    r = requests.options(f"{stack.url}/residents/{rid}/balance", timeout=30)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert "Access-Control-Allow-Origin" not in r.headers
    # The Swagger route is not the API's: the API function has no /swagger.
    assert not [route for route in api.app._static_routes + api.app._dynamic_routes
                if route.path.startswith("/swagger")]


def test_the_origins_variable_is_checked() -> None:
    assert cors.cors_config({}) is None
    assert cors.cors_config({cors.ENV: " "}) is None
    config = cors.cors_config({cors.ENV: f"{ORIGIN}, http://localhost:5173"})
    assert isinstance(config, CORSConfig)
    assert cors.headers(config, {"Origin": "http://localhost:5173"})[
        "Access-Control-Allow-Origin"] == "http://localhost:5173"
    assert cors.headers(config, {"origin": OTHER_ORIGIN}) == {"Vary": "Origin"}
    assert cors.headers(config, {}) == {"Vary": "Origin"}
    assert cors.headers(None, {"Origin": ORIGIN}) == {}
    for bad in ("*", "app.example.com", f"{ORIGIN}/", f"{ORIGIN}/app", "ftp://x.example"):
        with pytest.raises(ConfigError, match=cors.ENV):
            cors.cors_config({cors.ENV: bad})


def _gate_answer(method: str, path: str, claims: dict[str, str] | None, *,
                 body: bytes = b"", content_type: str | None = None,
                 origin: str = ORIGIN) -> dict[str, Any]:
    headers = {"Origin": origin}
    if content_type:
        headers["Content-Type"] = content_type
    return api.handler(proxy_event(method, path, headers, body, claims), LocalContext())


def test_the_gates_refusals_carry_the_cors_headers(stack, rid, monkeypatch) -> None:
    """401/403/400/415 are answered before the resolver: they carry the headers too."""
    monkeypatch.setattr(api, "CORS", cors.cors_config({cors.ENV: ORIGIN}))
    me = {"sub": "u", "custom:residentId": rid}
    answers = {
        401: _gate_answer("GET", f"/residents/{rid}/balance", None),
        403: _gate_answer("GET", f"/residents/{rid}-other/balance", me),
        400: _gate_answer("POST", f"/residents/{rid}/payments", me, body=b"[1]",
                          content_type="application/json"),
        415: _gate_answer("POST", f"/residents/{rid}/payments", me, body=b"amount=1",
                          content_type="text/plain"),
    }
    for status, answer in answers.items():
        assert answer["statusCode"] == status, answer
        assert answer["headers"]["Access-Control-Allow-Origin"] == ORIGIN, answer
        assert answer["headers"]["Content-Type"] == "application/json"
    other = _gate_answer("GET", f"/residents/{rid}/balance", None, origin=OTHER_ORIGIN)
    assert other["statusCode"] == 401
    assert "Access-Control-Allow-Origin" not in other["headers"]


class CorsServer:
    """`sfr3 run` with SFR3_CORS_ORIGINS set, in its own process and home."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A clean environment: never the session stack's ledger or secrets.
        env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR")
               if key in os.environ}
        env.update({"SFR3_CORS_ORIGINS": f"{ORIGIN},http://localhost:5173",
                    "SFR3_FINANCE_PORT": "0", "SFR3_WORKERS": "1",
                    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"})
        self.log = open(home / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sfr3_dev.cli", "run", "--port", str(self.port),
             "--home", str(home)], cwd=ROOT, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/swagger", timeout=90, proc=self.proc)
        deadline = time.monotonic() + 90
        while b"sfr3-payments is running" not in (home / "server.log").read_bytes():
            assert self.proc.poll() is None and time.monotonic() < deadline, \
                (home / "server.log").read_text()[-3000:]
            time.sleep(0.1)

    def token(self, **kw: Any) -> str:
        return tokens.issue(root=self.home, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorsServer]:
    server = CorsServer(tmp_path_factory.mktemp("sfr3-cors"))
    try:
        yield server
    finally:
        server.stop()


def test_a_preflight_is_answered_without_a_token(cors_server: CorsServer) -> None:
    r = requests.options(f"{cors_server.url}/residents/res-1/payments", timeout=30, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"})
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.headers["Vary"] == "Origin"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    stranger = requests.options(f"{cors_server.url}/residents/res-1/payments", timeout=30,
                                headers={"Origin": OTHER_ORIGIN,
                                         "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_answers_and_refusals_carry_the_allowed_origin(cors_server: CorsServer) -> None:
    url = cors_server.url
    token = cors_server.token(resident="res-1")
    auth = {"Authorization": f"Bearer {token}"}

    def get(path: str, origin: str = ORIGIN, **headers: str) -> requests.Response:
        return requests.get(f"{url}{path}", headers={"Origin": origin, **headers},
                            timeout=30)

    ok = get("/residents/res-1/balance", **auth)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert ok.headers["Vary"] == "Origin"  # the answer depends on the origin
    assert get("/residents/res-1/balance", "http://localhost:5173", **auth).headers[
        "Access-Control-Allow-Origin"] == "http://localhost:5173"
    unauthorised = get("/residents/res-1/balance")  # the gateway's own 401
    assert unauthorised.status_code == 401
    assert unauthorised.headers["Access-Control-Allow-Origin"] == ORIGIN
    forbidden = get("/residents/res-2/balance", **auth)  # the gate's 403
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert forbidden.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert forbidden.headers["Vary"] == "Origin"
    odd = get("/residents/res-1//balance", **auth)  # non-canonical path: 400
    assert odd.status_code == 400 and odd.headers["Access-Control-Allow-Origin"] == ORIGIN
    media = requests.post(f"{url}/residents/res-1/payments", data="amount=1", timeout=30,
                          headers={"Origin": ORIGIN, "Content-Type": "text/plain", **auth})
    assert media.status_code == 415 and media.headers["Access-Control-Allow-Origin"] == ORIGIN
    missing = get("/residents/res-1/lease", **auth)  # a refusal from the resolver: 404
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == ORIGIN
    stranger = get("/residents/res-1/balance", OTHER_ORIGIN, **auth)
    assert stranger.status_code == 200
    assert not [h for h in stranger.headers if h.lower().startswith("access-control-")]
    assert stranger.headers["Vary"] == "Origin"
