from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.evidence_upload import EvidenceUpload
from ...models.http_validation_error import HTTPValidationError
from ...types import Response


def _get_kwargs(
    dispute_id: str,
    *,
    body: EvidenceUpload,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/disputes/{dispute_id}/evidence".format(
            dispute_id=quote(str(dispute_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | str | None:
    if response.status_code == 201:
        response_201 = cast(str, response.json())
        return response_201

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[HTTPValidationError | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    dispute_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EvidenceUpload,
) -> Response[HTTPValidationError | str]:
    """Where to upload one evidence file (finance)

    Args:
        dispute_id (str):
        body (EvidenceUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    dispute_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EvidenceUpload,
) -> HTTPValidationError | str | None:
    """Where to upload one evidence file (finance)

    Args:
        dispute_id (str):
        body (EvidenceUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return sync_detailed(
        dispute_id=dispute_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    dispute_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EvidenceUpload,
) -> Response[HTTPValidationError | str]:
    """Where to upload one evidence file (finance)

    Args:
        dispute_id (str):
        body (EvidenceUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        dispute_id=dispute_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    dispute_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EvidenceUpload,
) -> HTTPValidationError | str | None:
    """Where to upload one evidence file (finance)

    Args:
        dispute_id (str):
        body (EvidenceUpload):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return (
        await asyncio_detailed(
            dispute_id=dispute_id,
            client=client,
            body=body,
        )
    ).parsed
