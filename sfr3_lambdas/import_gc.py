"""The garbage collector during and after a handler's import (issue 17's cold start).

A Lambda process runs one handler. Its import makes tens of thousands of objects (modules,
classes, functions, their dicts) that all live as long as the process, so collecting
over them finds next to nothing to free: the API's import ran ~80 collections (about a
tenth of its time; a collection right after it found 34 unreachable objects), and every
full collection after it traversed them again. The API and webhook handler modules call
`hold_collections()` before anything else and `freeze_imported()` last. Only in Lambda
(`AWS_LAMBDA_FUNCTION_NAME`, which Lambda sets): a test session or `make run` importing a
handler midway keeps its collections as they were. This module imports nothing but `gc`
and `os`, so that it can come first.
"""

from __future__ import annotations

import gc
import os

_held = False


def hold_collections() -> None:
    """In Lambda, run no garbage collection until `freeze_imported()` (the import's end).

    Collections resume there, and then leave out everything the import made. Only when the
    collector was on, so that `freeze_imported()` turns back on only what this turned off.
    If the import fails, the collector stays off, but Lambda then discards the process.
    """
    global _held
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and gc.isenabled():
        gc.disable()
        _held = True


def freeze_imported() -> None:
    """Leave what the handler's import made out of every later full garbage collection.

    A handler's import leaves ~40,000 objects the collector tracks. The first full collection
    comes during the first request (in the API's, while building the boto3 client: 44-51 ms
    on the bench's machine) and traverses them all, as does every full collection after it.
    `gc.freeze()` moves them to the permanent generation, which collections skip: that work
    is not moved, it is not done. The price: a reference cycle that became garbage during
    the import is never freed (import-time garbage only; nothing of it holds a resource).
    Turns the collector back on if `hold_collections()` turned it off.
    """
    global _held
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        gc.freeze()
    if _held:
        _held = False
        gc.enable()
