"""eventsourcing persistence module for DynamoDB: `PERSISTENCE_MODULE=sfr3_adapters.dynamodb`.

Design and item layout: docs/dynamodb.md. The module exposes exactly one
InfrastructureFactory (`Factory`), which is how the library finds it.
"""

from sfr3_adapters.dynamodb.factory import Factory

__all__ = ["Factory"]
