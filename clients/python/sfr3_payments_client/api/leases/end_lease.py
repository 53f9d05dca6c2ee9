from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.end_lease import EndLease
from ...models.error_body import ErrorBody
from ...models.gateway_error import GatewayError
from ...models.lease import Lease
from ...types import UNSET, Response, Unset


def _get_kwargs(
    resident_id: str,
    *,
    body: EndLease,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/residents/{resident_id}/lease/end".format(
            resident_id=quote(str(resident_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ErrorBody | GatewayError | Lease | None:
    if response.status_code == 200:
        response_200 = Lease.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | ErrorBody | GatewayError | Lease]:
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
    body: EndLease,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | ErrorBody | GatewayError | Lease]:
    """End the lease on the move-out date (nothing falls due after it)

    Args:
        resident_id (str):
        idempotency_key (str | Unset):
        body (EndLease):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ErrorBody | GatewayError | Lease]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EndLease,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | ErrorBody | GatewayError | Lease | None:
    """End the lease on the move-out date (nothing falls due after it)

    Args:
        resident_id (str):
        idempotency_key (str | Unset):
        body (EndLease):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ErrorBody | GatewayError | Lease
    """

    return sync_detailed(
        resident_id=resident_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EndLease,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorBody | ErrorBody | GatewayError | Lease]:
    """End the lease on the move-out date (nothing falls due after it)

    Args:
        resident_id (str):
        idempotency_key (str | Unset):
        body (EndLease):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ErrorBody | GatewayError | Lease]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    resident_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: EndLease,
    idempotency_key: str | Unset = UNSET,
) -> ErrorBody | ErrorBody | GatewayError | Lease | None:
    """End the lease on the move-out date (nothing falls due after it)

    Args:
        resident_id (str):
        idempotency_key (str | Unset):
        body (EndLease):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ErrorBody | GatewayError | Lease
    """

    return (
        await asyncio_detailed(
            resident_id=resident_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
