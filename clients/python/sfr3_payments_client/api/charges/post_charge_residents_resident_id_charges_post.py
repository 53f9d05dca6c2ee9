from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.post_charge import PostCharge
from ...types import Response


def _get_kwargs(
    resident_id: str,
    *,
    body: PostCharge,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/residents/{resident_id}/charges".format(
            resident_id=quote(str(resident_id), safe=""),
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
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PostCharge,
) -> Response[HTTPValidationError | str]:
    """Post a charge (staff)

    Args:
        resident_id (str):
        body (PostCharge):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PostCharge,
) -> HTTPValidationError | str | None:
    """Post a charge (staff)

    Args:
        resident_id (str):
        body (PostCharge):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return sync_detailed(
        resident_id=resident_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PostCharge,
) -> Response[HTTPValidationError | str]:
    """Post a charge (staff)

    Args:
        resident_id (str):
        body (PostCharge):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PostCharge,
) -> HTTPValidationError | str | None:
    """Post a charge (staff)

    Args:
        resident_id (str):
        body (PostCharge):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return (
        await asyncio_detailed(
            resident_id=resident_id,
            client=client,
            body=body,
        )
    ).parsed
