"""Powertools' re-exporting packages, imported without their `__init__` (issue 17).

`sfr3_lambdas.lean_imports.defer` lets the API's cold start skip what
`aws_lambda_powertools.event_handler`'s and `utilities.data_classes`' `__init__`s import
and no request uses (AppSync with asyncio, Bedrock, VPC Lattice, every event's data
class). These tests hold it to its promise: the API's import and first request load none
of that; every name either package has is there, the same class or function, with and
without `defer`; a name whose submodule is imported directly still reads as the `__init__`
binds it. Each check runs in a fresh interpreter: this one imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sfr3_lambdas import lean_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = lean_imports.POWERTOOLS_REEXPORTS
# What the API handler never uses, which those two `__init__`s import.
NEVER_FOR_THE_API = (
    "asyncio", "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.event_handler.events_appsync",
    "aws_lambda_powertools.event_handler.bedrock_agent",
    "aws_lambda_powertools.event_handler.vpc_lattice",
    "aws_lambda_powertools.event_handler.lambda_function_url",
    "aws_lambda_powertools.utilities.data_classes.code_pipeline_job_event",
    "aws_lambda_powertools.utilities.data_classes.kafka_event",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
)


def fresh(code: str, *argv: str, env_extra: dict[str, str] | None = None) -> Any:
    """Run `code` in a new interpreter; it prints one `OUT <json>` line."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR")
           if key in os.environ}
    env.update({"PERSISTENCE_MODULE": "eventsourcing.popo", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1", **(env_extra or {})})
    result = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    [line] = [x for x in result.stdout.splitlines() if x.startswith("OUT ")]
    return json.loads(line[len("OUT "):])


COLD_API = """
import json, sys
import sfr3_lambdas.api as api
never = json.loads(sys.argv[1])
seen = {"import": sorted(m for m in never if m in sys.modules)}
event = {"httpMethod": "GET", "path": "/residents/r-1/balance", "headers": {}, "body": None,
         "isBase64Encoded": False, "queryStringParameters": None,
         "requestContext": {"requestId": "r", "stage": "dev",
                            "authorizer": {"claims": {"sub": "u", "custom:residentId": "r-1"}}}}
seen["status"] = api.handler(event, None)["statusCode"]
seen["request"] = sorted(m for m in never if m in sys.modules)
print("OUT " + json.dumps(seen))
"""


def test_the_api_cold_start_imports_no_other_resolver_nor_event_class() -> None:
    seen = fresh(COLD_API, json.dumps(NEVER_FOR_THE_API))
    assert seen == {"import": [], "status": 200, "request": []}


# Every public name of each package, as `module.qualname` (a module: its own name).
NAMES = """
import importlib, json, sys, types
from sfr3_lambdas import lean_imports
packages = json.loads(sys.argv[1])
deferred = sys.argv[2] == "deferred"
if deferred:
    assert all(lean_imports.defer(p) for p in packages)
    unread = sys.modules[packages[0]]  # dir() lists a name not read yet
    listed = "VPCLatticeResolver" in dir(unread) and "VPCLatticeResolver" not in vars(unread)
def name_of(value):
    if isinstance(value, types.ModuleType):
        return value.__name__
    return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
out = {}
for package in packages:
    module = importlib.import_module(package)
    if deferred:
        source = open(module.__spec__.origin, encoding="utf-8").read()
        names = sorted(lean_imports.reexports(source, package)[0])
    else:
        names = sorted(n for n in vars(module) if not n.startswith("__"))
    out[package] = {"all": list(getattr(module, "__all__", [])),
                    "names": {n: name_of(getattr(module, n)) for n in names}}
if deferred:
    from aws_lambda_powertools.event_handler import AppSyncResolver, Response
    from aws_lambda_powertools.event_handler.api_gateway import Response as Same
    out["appsync"] = AppSyncResolver.__name__
    out["dir"] = listed
    out["same_response"] = Response is Same
print("OUT " + json.dumps(out))
"""


def test_every_name_of_the_deferred_packages_is_the_one_their_init_binds() -> None:
    usual = fresh(NAMES, json.dumps(PACKAGES), "usual")
    deferred = fresh(NAMES, json.dumps(PACKAGES), "deferred")
    assert deferred.pop("appsync") == "AppSyncResolver"
    assert deferred.pop("same_response") is True
    assert deferred.pop("dir") is True
    for package in PACKAGES:
        assert deferred[package]["all"] == usual[package]["all"]
        # The usual import also binds the submodules it imported; every name the
        # `__init__` re-exports is the same object either way.
        reexported = deferred[package]["names"]
        assert len(reexported) > 5
        assert reexported == {n: usual[package]["names"][n] for n in reexported}


SUBMODULE_FIRST = """
import json, sys, types
from sfr3_lambdas import lean_imports
assert lean_imports.defer("aws_lambda_powertools.utilities.data_classes")
import aws_lambda_powertools.utilities.data_classes.event_source
submodule = sys.modules["aws_lambda_powertools.utilities.data_classes.event_source"]
from aws_lambda_powertools.utilities import data_classes
print("OUT " + json.dumps({
    "module": isinstance(data_classes.event_source, types.ModuleType),
    "decorator": data_classes.event_source is submodule.event_source,
    "again": lean_imports.defer("aws_lambda_powertools.utilities.data_classes")}))
"""


def test_a_submodule_imported_first_does_not_shadow_the_name_its_init_rebinds() -> None:
    # data_classes' `__init__` binds `event_source` to the decorator of the submodule
    # `event_source`; importing that submodule directly must not leave the module there.
    seen = fresh(SUBMODULE_FIRST)
    assert seen == {"module": False, "decorator": True, "again": False}


@pytest.mark.parametrize("source", [
    "from .a import *\n",
    "from .a import b\ndef helper():\n    pass\n",
    "import os\n",
    "from .a import b\nb.configure()\n",
    "__all__ = [name for name in ('b',)]\n",
])
def test_an_init_that_does_more_than_re_export_is_imported_as_usual(source: str) -> None:
    assert lean_imports.reexports(source, "pkg.sub") is None


def test_re_exports_are_read_with_their_modules() -> None:
    source = ('"""Doc."""\nfrom .a import B\nfrom ..c import D as E\n'
              'from pkg.sub.f import G\n__all__ = ["B", "E", "G"]\n')
    assert lean_imports.reexports(source, "pkg.sub") == (
        {"B": ("pkg.sub.a", "B"), "E": ("pkg.c", "D"), "G": ("pkg.sub.f", "G")},
        ["B", "E", "G"])


def test_a_package_already_imported_is_left_as_it_is() -> None:
    import aws_lambda_powertools.event_handler as usual

    assert lean_imports.defer("aws_lambda_powertools.event_handler") is False
    assert sys.modules["aws_lambda_powertools.event_handler"] is usual


FROZEN = """
import gc, importlib, json, sys
before = gc.get_freeze_count()
importlib.import_module(sys.argv[1])
print("OUT " + json.dumps(gc.get_freeze_count() - before))
"""
WEBHOOK_ENV = {"STRIPE_SERVICE_URL": "http://127.0.0.1:9/dev/internal/stripe",
               "STRIPE_SERVICE_API_KEY": "cold-import-key"}


@pytest.mark.parametrize("handler", ["sfr3_lambdas.api", "sfr3_lambdas.stripe_webhook"])
def test_in_lambda_a_handlers_import_is_left_out_of_later_collections(handler: str) -> None:
    # gc.freeze() after the import: the first request's full collection (and every later
    # one) skips the import's tens of thousands of objects. Only where Lambda runs it.
    in_lambda = fresh(FROZEN, handler, env_extra={
        **WEBHOOK_ENV, "AWS_LAMBDA_FUNCTION_NAME": "sfr3-dev-test"})
    elsewhere = fresh(FROZEN, handler, env_extra=WEBHOOK_ENV)
    assert in_lambda > 10_000
    assert elsewhere == 0


HELD = """
import gc, importlib, json, sys
collections = lambda: sum(s["collections"] for s in gc.get_stats())
before = collections()
importlib.import_module(sys.argv[1])
print("OUT " + json.dumps([collections() - before, gc.isenabled()]))
"""


@pytest.mark.parametrize("handler", ["sfr3_lambdas.api", "sfr3_lambdas.stripe_webhook"])
def test_in_lambda_no_collection_runs_during_a_handlers_import(handler: str) -> None:
    # hold_collections() first, freeze_imported() last: the collector is off for the
    # import (it ran ~80 collections over objects that all stay alive), then on again.
    in_lambda = fresh(HELD, handler, env_extra={
        **WEBHOOK_ENV, "AWS_LAMBDA_FUNCTION_NAME": "sfr3-dev-test"})
    elsewhere = fresh(HELD, handler, env_extra=WEBHOOK_ENV)
    assert in_lambda == [0, True]
    collected, enabled = elsewhere
    assert collected > 10 and enabled


KEPT_OFF = """
import gc, json
from sfr3_lambdas import import_gc
gc.disable()
import_gc.hold_collections()
import_gc.freeze_imported()
print("OUT " + json.dumps(gc.isenabled()))
"""


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    # freeze_imported() turns back on only what hold_collections() turned off.
    assert fresh(KEPT_OFF, env_extra={"AWS_LAMBDA_FUNCTION_NAME": "sfr3-dev-test"}) is False
