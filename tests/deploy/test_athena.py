"""The lake in Parquet and finance's queries in Athena: the deployed configuration."""

from __future__ import annotations

from sfr3_adapters.lake_schema import COLUMNS, PARTITION_KEYS
from sfr3_dev.analytics import QUERIES, athena_sql
from tests.deploy.conftest import Package


def test_firehose_converts_to_parquet_through_the_glue_schema(package: Package) -> None:
    s3 = package.resources["EventsLakeFirehose"]["Properties"]["ExtendedS3DestinationConfiguration"]
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    serializer = conversion["OutputFormatConfiguration"]["Serializer"]
    assert serializer == {"ParquetSerDe": {"Compression": "SNAPPY"}}
    schema = conversion["SchemaConfiguration"]
    assert schema["DatabaseName"] == {"Ref": "EventsGlueDatabase"}
    assert schema["TableName"] == {"Ref": "EventsGlueTable"}
    assert schema["RoleARN"] == {"Fn::GetAtt": ["EventsLakeFirehoseRole", "Arn"]}
    assert s3["CompressionFormat"] == "UNCOMPRESSED"  # Parquet pages are Snappy already
    # 60 s as designed; 64 MiB is Firehose's floor with format conversion (not 1 MB).
    assert s3["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 64}
    assert s3["Prefix"].startswith("events/year=!{timestamp:yyyy}/month=")
    policy = package.resources["EventsLakeFirehoseRole"]["Properties"]["Policies"][0]
    actions = {a for st in policy["PolicyDocument"]["Statement"] for a in st["Action"]}
    assert {"glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"} <= actions


def test_the_glue_table_is_parquet_with_the_lake_columns(package: Package) -> None:
    table = package.resources["EventsGlueTable"]["Properties"]["TableInput"]
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert storage["InputFormat"].endswith("MapredParquetInputFormat")
    assert table["Parameters"]["classification"] == "parquet"
    assert [(c["Name"], c["Type"]) for c in storage["Columns"]] == list(COLUMNS)
    assert tuple(k["Name"] for k in table["PartitionKeys"]) == PARTITION_KEYS


def test_athena_workgroup_and_named_queries_are_the_cli_queries(package: Package) -> None:
    resources = package.resources
    workgroup = resources["FinanceWorkGroup"]["Properties"]
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["ResultConfiguration"]["OutputLocation"] == {
        "Fn::Sub": "s3://${LakeBucket}/athena-results/"}
    named = {v["Properties"]["Name"]: v["Properties"] for v in resources.values()
             if v["Type"] == "AWS::Athena::NamedQuery"}
    assert set(named) == set(QUERIES)
    for name, props in named.items():
        assert props["QueryString"] == athena_sql(name), name
        assert props["Database"] == {"Ref": "EventsGlueDatabase"}
        assert props["WorkGroup"] == {"Ref": "FinanceWorkGroup"}
