"""Local development tokens: what Cognito issues deployed, signed by a local RS256 key.

`sfr3 dev-token --resident res-1` or `sfr3 dev-token --staff pm-7 --group property-managers`
prints an ID token. The key lives in `${SFR3_HOME:-.sfr3}/dev-signing-key.pem`, created on
first use; the local gateway (`sfr3_dev.gateway`) verifies tokens with it and hands the
claims to the handlers exactly where API Gateway's Cognito authorizer puts them. The
claims mirror a Cognito ID token: `sub`, `cognito:username`, `token_use`, and
`custom:residentId` for residents or `cognito:groups` for staff.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "sfr3-local-dev"
AUDIENCE = "sfr3-local"
KEY_FILE = "dev-signing-key.pem"
GROUPS = ("property-managers", "finance")


def home() -> Path:
    return Path(os.environ.get("SFR3_HOME") or ".sfr3")


# Loading a PEM key re-validates the RSA key (~40 ms of CPU): once per file version, not
# once per request. Keyed by path and the file's identity, so a new key (`rm -rf .sfr3`,
# another SFR3_HOME) is picked up.
_KEYS: dict[tuple[str, int, int, int], tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey]] = {}
_KEYS_LOCK = threading.Lock()


def _key_path(root: Path | None) -> Path:
    path = (root or home()) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)
    return path


def _keys(root: Path | None) -> tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey]:
    return _current(root)[1]


def _current(root: Path | None) -> tuple[tuple[str, int, int, int],
                                         tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey]]:
    """(the key file's identity, its key pair), loaded once per version of the file."""
    path = _key_path(root)
    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _KEYS.get(cache_key)
    if cached is not None:
        return cache_key, cached
    with _KEYS_LOCK:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        pair = (loaded, loaded.public_key())
        # Drop older versions of the same file; keep other homes (tests use several).
        for stale in [k for k in _KEYS if k[0] == cache_key[0]]:
            del _KEYS[stale]
        _KEYS[cache_key] = pair
        return cache_key, pair


def signing_key(root: Path | None = None) -> rsa.RSAPrivateKey:
    """The local signing key, created (mode 0600) on first use."""
    return _keys(root)[0]


def issue(*, resident: str | None = None, staff: str | None = None,
          groups: tuple[str, ...] = (), ttl: int = 12 * 3600, root: Path | None = None,
          extra: dict[str, Any] | None = None) -> str:
    """A signed ID token for a resident or a staff member."""
    if (resident is None) == (staff is None):
        raise ValueError("exactly one of resident or staff")
    now = int(time.time())
    subject = resident or staff
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfr3-local:{subject}")),
        "cognito:username": subject, "token_use": "id", "iss": ISSUER, "aud": AUDIENCE,
        "iat": now, "exp": now + ttl, "email": f"{subject}@example.com",
    }
    if resident is not None:
        claims["custom:residentId"] = resident
    else:
        claims["cognito:groups"] = list(groups)
    claims.update(extra or {})
    return jwt.encode(claims, signing_key(root), algorithm="RS256")


# Verified tokens, so a client sending the same bearer token on every request pays the
# signature check once (bounded: the soak bench's memory must stay flat).
_VERIFIED: OrderedDict[tuple[tuple[str, int, int, int], str], dict[str, Any]] = OrderedDict()
_VERIFIED_MAX = 1024


def verify(token: str, root: Path | None = None) -> dict[str, Any]:
    """Claims of a valid token; raises jwt.InvalidTokenError otherwise."""
    key_id, (_, public) = _current(root)
    cached = _VERIFIED.get((key_id, token))
    if cached is not None and cached["exp"] > time.time():
        return dict(cached)
    claims: dict[str, Any] = jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE,
                                        issuer=ISSUER, options={"require": ["exp", "iat"]})
    with _KEYS_LOCK:
        _VERIFIED[(key_id, token)] = claims
        while len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return dict(claims)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 dev-token", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--resident", metavar="RESIDENT_ID")
    who.add_argument("--staff", metavar="STAFF_ID")
    parser.add_argument("--group", action="append", choices=GROUPS,
                        help="staff group (repeatable); default property-managers")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds (default 12h)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.resident is not None and args.group:
        parser.error("--group is for --staff tokens")
    groups = tuple(args.group or ["property-managers"]) if args.staff else ()
    print(issue(resident=args.resident, staff=args.staff, groups=groups, ttl=args.ttl))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
