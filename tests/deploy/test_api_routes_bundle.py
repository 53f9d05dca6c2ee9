"""Every API route module imports from the zip the API ships, not only the handler.

The API includes a resource's router on the first request for it (issue 17), so importing
the handler (test_bundle.py's check) no longer imports the route modules: reading
`sfr3_lambdas.api.app` includes them all, as the first requests would.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.deploy.conftest import Package, Unzipped


def test_every_api_route_module_imports_from_the_apis_own_zip(
    package: Package, unzipped: dict[str, Unzipped]
) -> None:
    zip_name = package.function_zip("ApiLambdaFunction").name
    (bundle,) = [n for n, b in package.bundles.items() if b["zip"] == zip_name]
    where = unzipped[bundle]
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = {where.sys_path!r}\n"
        "import sfr3_lambdas.api as api\n"
        "routes = api.app._static_routes + api.app._dynamic_routes\n"
        "modules = {r.func.__module__ for r in routes}\n"
        "assert modules == {f'sfr3_lambdas.api.{n}' for n in api.ROUTERS}, modules\n"
        "for name in modules:\n"
        "    assert sys.modules[name].__file__.startswith(sys.path[1]), name\n"
        "assert 'stripe' not in sys.modules, 'imports stripe'\n"
        "print(len(routes))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "PERSISTENCE_MODULE": "eventsourcing.popo"}
    result = subprocess.run([sys.executable, "-S", "-B", "-c", code], cwd=where.root,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 20
