"""Packing a run of stored events into one binary attribute.

Why a blob and not one item per event: DynamoDB bills writes per item per KB and a
transaction holds at most 100 items, while the library saves up to 1,000 events in one
call. One item per commit (per aggregate, and one for the notification log) keeps a
typical command at a handful of write units and makes any commit that fits in 400 KB
one atomic item.

Layout (all integers big-endian), format 1:
    u8  format (=1)
    u32 number of originator ids, then each: u8 kind ('U' + 16 raw bytes of a UUID,
        or 'S' + u32 length + UTF-8 of a string id)
    u32 number of topics, then each: u32 length + UTF-8
    u32 number of events, then each: u32 originator index, i64 version,
        u32 topic index, u32 state length + state bytes
Originator ids and topics are stored once per blob: a 1,000-event commit of one
aggregate repeats neither.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent

FORMAT = 1
_U32 = struct.Struct(">I")
_EVENT_HEAD = struct.Struct(">IqII")
# Per-event bytes besides the state, used to size items before encoding them.
EVENT_OVERHEAD = _EVENT_HEAD.size


class CodecError(ValueError):
    """A blob that this module did not write (or a newer format)."""


def encoded_size(event: StoredEvent) -> int:
    """An upper bound of the bytes `event` adds to a blob (ids and topics counted in full)."""
    oid = event.originator_id
    oid_size = 17 if isinstance(oid, UUID) else 5 + len(str(oid).encode())
    return EVENT_OVERHEAD + len(event.state) + 4 + len(event.topic.encode()) + oid_size


def encode(events: Sequence[StoredEvent]) -> bytes:
    oids: dict[UUID | str, int] = {}
    topics: dict[str, int] = {}
    body: list[bytes] = []
    pack_head = _EVENT_HEAD.pack
    for e in events:
        oi = oids.setdefault(e.originator_id, len(oids))
        ti = topics.setdefault(e.topic, len(topics))
        body.append(pack_head(oi, e.originator_version, ti, len(e.state)))
        body.append(e.state)
    head: list[bytes] = [bytes([FORMAT]), _U32.pack(len(oids))]
    for oid in oids:
        if isinstance(oid, UUID):
            head.append(b"U" + oid.bytes)
        else:
            raw = str(oid).encode()
            head.append(b"S" + _U32.pack(len(raw)) + raw)
    head.append(_U32.pack(len(topics)))
    for topic in topics:
        raw = topic.encode()
        head.append(_U32.pack(len(raw)) + raw)
    head.append(_U32.pack(len(events)))
    return b"".join(head + body)


def decode(blob: bytes) -> list[StoredEvent]:
    view = memoryview(blob)
    if not blob or blob[0] != FORMAT:
        raise CodecError(f"unknown event blob format {blob[:1]!r}")
    pos = 1
    unpack_u32 = _U32.unpack_from
    (n_oids,) = unpack_u32(view, pos)
    pos += 4
    oids: list[UUID | str] = []
    for _ in range(n_oids):
        kind = blob[pos]
        pos += 1
        if kind == 0x55:  # 'U'
            oids.append(UUID(bytes=bytes(view[pos : pos + 16])))
            pos += 16
        elif kind == 0x53:  # 'S'
            (length,) = unpack_u32(view, pos)
            pos += 4
            oids.append(str(view[pos : pos + length], "utf-8"))
            pos += length
        else:
            raise CodecError(f"unknown originator id kind {kind}")
    (n_topics,) = unpack_u32(view, pos)
    pos += 4
    topics: list[str] = []
    for _ in range(n_topics):
        (length,) = unpack_u32(view, pos)
        pos += 4
        topics.append(str(view[pos : pos + length], "utf-8"))
        pos += length
    (n_events,) = unpack_u32(view, pos)
    pos += 4
    events: list[StoredEvent] = []
    unpack_head = _EVENT_HEAD.unpack_from
    head_size = _EVENT_HEAD.size
    for _ in range(n_events):
        oi, version, ti, length = unpack_head(view, pos)
        pos += head_size
        events.append(
            StoredEvent(
                originator_id=oids[oi],
                originator_version=version,
                topic=topics[ti],
                state=bytes(view[pos : pos + length]),
            )
        )
        pos += length
    if pos != len(blob):
        raise CodecError("trailing bytes after the last event")
    return events
