from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.http_validation_error import HTTPValidationError
from ...types import UNSET, Response, Unset


def _get_kwargs(
    resident_id: str,
    *,
    from_: None | str | Unset = UNSET,
    to: None | str | Unset = UNSET,
    payment_method_id: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_: None | str | Unset
    if isinstance(from_, Unset):
        json_from_ = UNSET
    else:
        json_from_ = from_
    params["from"] = json_from_

    json_to: None | str | Unset
    if isinstance(to, Unset):
        json_to = UNSET
    else:
        json_to = to
    params["to"] = json_to

    json_payment_method_id: None | str | Unset
    if isinstance(payment_method_id, Unset):
        json_payment_method_id = UNSET
    else:
        json_payment_method_id = payment_method_id
    params["paymentMethodId"] = json_payment_method_id

    json_limit: int | None | Unset
    if isinstance(limit, Unset):
        json_limit = UNSET
    else:
        json_limit = limit
    params["limit"] = json_limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/residents/{resident_id}/payments".format(
            resident_id=quote(str(resident_id), safe=""),
        ),
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
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    from_: None | str | Unset = UNSET,
    to: None | str | Unset = UNSET,
    payment_method_id: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> Response[HTTPValidationError | str]:
    """Payment history, newest first, a page at a time (nextCursor)

    Args:
        resident_id (str):
        from_ (None | str | Unset): ISO date or date-time (UTC)
        to (None | str | Unset): ISO date (inclusive) or date-time
        payment_method_id (None | str | Unset):
        limit (int | None | Unset): Page size, 1-200 (default 50)
        cursor (None | str | Unset): nextCursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        from_=from_,
        to=to,
        payment_method_id=payment_method_id,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    from_: None | str | Unset = UNSET,
    to: None | str | Unset = UNSET,
    payment_method_id: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> HTTPValidationError | str | None:
    """Payment history, newest first, a page at a time (nextCursor)

    Args:
        resident_id (str):
        from_ (None | str | Unset): ISO date or date-time (UTC)
        to (None | str | Unset): ISO date (inclusive) or date-time
        payment_method_id (None | str | Unset):
        limit (int | None | Unset): Page size, 1-200 (default 50)
        cursor (None | str | Unset): nextCursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return sync_detailed(
        resident_id=resident_id,
        client=client,
        from_=from_,
        to=to,
        payment_method_id=payment_method_id,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    from_: None | str | Unset = UNSET,
    to: None | str | Unset = UNSET,
    payment_method_id: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> Response[HTTPValidationError | str]:
    """Payment history, newest first, a page at a time (nextCursor)

    Args:
        resident_id (str):
        from_ (None | str | Unset): ISO date or date-time (UTC)
        to (None | str | Unset): ISO date (inclusive) or date-time
        payment_method_id (None | str | Unset):
        limit (int | None | Unset): Page size, 1-200 (default 50)
        cursor (None | str | Unset): nextCursor of the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        from_=from_,
        to=to,
        payment_method_id=payment_method_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    from_: None | str | Unset = UNSET,
    to: None | str | Unset = UNSET,
    payment_method_id: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> HTTPValidationError | str | None:
    """Payment history, newest first, a page at a time (nextCursor)

    Args:
        resident_id (str):
        from_ (None | str | Unset): ISO date or date-time (UTC)
        to (None | str | Unset): ISO date (inclusive) or date-time
        payment_method_id (None | str | Unset):
        limit (int | None | Unset): Page size, 1-200 (default 50)
        cursor (None | str | Unset): nextCursor of the previous page

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
            from_=from_,
            to=to,
            payment_method_id=payment_method_id,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
