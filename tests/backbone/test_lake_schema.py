"""The local lake's Parquet files have the Glue table's columns, and every field an
envelope carries has a column (a new one cannot silently vanish from the lake)."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from sfr3_adapters.lake_schema import COLUMNS, DATA_FIELDS, arrow_schema
from sfr3_adapters.local_sinks import LocalLake
from sfr3_ledger import LedgerApplication
from sfr3_ledger import integration_events as ie
from tests.backbone.scenario import pay_and_refund

REPO = Path(__file__).resolve().parents[2]


class _Tagged(yaml.SafeLoader):
    """resources/*.yml with CloudFormation's short tags read as plain values."""


_Tagged.add_multi_constructor("!", lambda loader, suffix, node: None)


def glue_columns() -> list[tuple[str, str]]:
    lake = yaml.load((REPO / "resources" / "lake.yml").read_text(), Loader=_Tagged)
    table = lake["Resources"]["EventsGlueTable"]["Properties"]["TableInput"]
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def hive_type(arrow: object) -> str:
    text = str(arrow)
    text = re.sub(r"map<string, int64( \('\w+'\))?>", "map<string,bigint>", text)
    return {"string": "string", "int64": "bigint", "int32": "int", "bool": "boolean"}.get(
        text, text)


def test_local_parquet_files_have_the_glue_columns(tmp_path: Path) -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    pay_and_refund(app, "res-schema-1")
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 100)]
    envelopes = ie.envelopes_for(events, ie.ResidentResolver.for_application(app))
    lake = LocalLake(tmp_path)
    lake.write(envelopes)
    (part,) = lake.files()
    assert re.search(r"lake/year=\d{4}/month=\d\d/day=\d\d/part-\d+-[0-9a-f-]+\.parquet$",
                     part.as_posix())
    metadata = pq.ParquetFile(part).metadata
    assert metadata.row_group(0).column(0).compression == "SNAPPY"
    schema = pq.read_schema(part)
    assert schema.equals(arrow_schema())
    local = []
    for field in schema:
        if field.name == "data":
            inner = ",".join(f"{f.name}:{hive_type(f.type)}" for f in field.type)
            local.append((field.name, f"struct<{inner}>"))
        else:
            local.append((field.name, hive_type(field.type)))
    assert local == glue_columns() == list(COLUMNS)
    rows = lake.rows()
    assert [r["eventId"] for r in rows] == [e["eventId"] for e in envelopes]
    for row, envelope in zip(rows, envelopes, strict=True):
        def present(data: dict[str, object]) -> dict[str, object]:
            return {k: v for k, v in data.items() if v is not None}

        assert present(row["data"]) == present(envelope["data"])


def test_every_envelope_field_has_a_column() -> None:
    fields = {name for name, _ in DATA_FIELDS}
    carried = set(ie.CORE_FIELDS) | set(ie._EXTRA_FIELDS) | {"balanceEffect"}
    assert carried <= fields, f"add to lake_schema.DATA_FIELDS and lake.yml: {carried - fields}"
