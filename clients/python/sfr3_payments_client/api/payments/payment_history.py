from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.gateway_error import GatewayError
from ...models.payment_history import PaymentHistory
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
) -> ErrorBody | ErrorBody | GatewayError | PaymentHistory | None:
    if response.status_code == 200:
        response_200 = PaymentHistory.from_dict(response.json())

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
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentHistory]:
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
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentHistory]:
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
        Response[ErrorBody | ErrorBody | GatewayError | PaymentHistory]
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
) -> ErrorBody | ErrorBody | GatewayError | PaymentHistory | None:
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
        ErrorBody | ErrorBody | GatewayError | PaymentHistory
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
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentHistory]:
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
        Response[ErrorBody | ErrorBody | GatewayError | PaymentHistory]
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
) -> ErrorBody | ErrorBody | GatewayError | PaymentHistory | None:
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
        ErrorBody | ErrorBody | GatewayError | PaymentHistory
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
