from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...models.list_disputes_disputes_get_status_type_0 import ListDisputesDisputesGetStatusType0
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: ListDisputesDisputesGetStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, ListDisputesDisputesGetStatusType0):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_resident_id: None | str | Unset
    if isinstance(resident_id, Unset):
        json_resident_id = UNSET
    else:
        json_resident_id = resident_id
    params["residentId"] = json_resident_id

    json_opened_from: None | str | Unset
    if isinstance(opened_from, Unset):
        json_opened_from = UNSET
    else:
        json_opened_from = opened_from
    params["openedFrom"] = json_opened_from

    json_opened_to: None | str | Unset
    if isinstance(opened_to, Unset):
        json_opened_to = UNSET
    else:
        json_opened_to = opened_to
    params["openedTo"] = json_opened_to

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/disputes",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> HTTPValidationError | str | None:
    if response.status_code == 200:
        response_200 = cast(str, response.json())
        return response_200

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
    *,
    client: AuthenticatedClient | Client,
    status: ListDisputesDisputesGetStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[HTTPValidationError | str]:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesDisputesGetStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        status=status,
        resident_id=resident_id,
        opened_from=opened_from,
        opened_to=opened_to,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    status: ListDisputesDisputesGetStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> HTTPValidationError | str | None:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesDisputesGetStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return sync_detailed(
        client=client,
        status=status,
        resident_id=resident_id,
        opened_from=opened_from,
        opened_to=opened_to,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: ListDisputesDisputesGetStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[HTTPValidationError | str]:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesDisputesGetStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        status=status,
        resident_id=resident_id,
        opened_from=opened_from,
        opened_to=opened_to,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: ListDisputesDisputesGetStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> HTTPValidationError | str | None:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesDisputesGetStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            resident_id=resident_id,
            opened_from=opened_from,
            opened_to=opened_to,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
