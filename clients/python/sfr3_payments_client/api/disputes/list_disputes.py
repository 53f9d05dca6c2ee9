from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.dispute_page import DisputePage
from ...models.error_body import ErrorBody
from ...models.gateway_error import GatewayError
from ...models.list_disputes_status_type_0 import ListDisputesStatusType0
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: ListDisputesStatusType0 | None | Unset = UNSET,
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
    elif isinstance(status, ListDisputesStatusType0):
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
) -> DisputePage | ErrorBody | ErrorBody | GatewayError | None:
    if response.status_code == 200:
        response_200 = DisputePage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:

        def _parse_response_401(data: object) -> ErrorBody | GatewayError:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_401_type_0 = ErrorBody.from_dict(data)

                return response_401_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_401_type_1 = GatewayError.from_dict(data)

            return response_401_type_1

        response_401 = _parse_response_401(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DisputePage | ErrorBody | ErrorBody | GatewayError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: ListDisputesStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[DisputePage | ErrorBody | ErrorBody | GatewayError]:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DisputePage | ErrorBody | ErrorBody | GatewayError]
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
    status: ListDisputesStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> DisputePage | ErrorBody | ErrorBody | GatewayError | None:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DisputePage | ErrorBody | ErrorBody | GatewayError
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
    status: ListDisputesStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[DisputePage | ErrorBody | ErrorBody | GatewayError]:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DisputePage | ErrorBody | ErrorBody | GatewayError]
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
    status: ListDisputesStatusType0 | None | Unset = UNSET,
    resident_id: None | str | Unset = UNSET,
    opened_from: None | str | Unset = UNSET,
    opened_to: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> DisputePage | ErrorBody | ErrorBody | GatewayError | None:
    """Disputes across residents (staff)

    Args:
        status (ListDisputesStatusType0 | None | Unset):
        resident_id (None | str | Unset):
        opened_from (None | str | Unset):
        opened_to (None | str | Unset):
        limit (int | Unset):  Default: 50.
        cursor (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DisputePage | ErrorBody | ErrorBody | GatewayError
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
