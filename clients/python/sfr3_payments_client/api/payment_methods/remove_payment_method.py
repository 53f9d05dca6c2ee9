from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.gateway_error import GatewayError
from ...models.payment_method import PaymentMethod
from ...types import Response


def _get_kwargs(
    resident_id: str,
    method_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/residents/{resident_id}/payment-methods/{method_id}".format(
            resident_id=quote(str(resident_id), safe=""),
            method_id=quote(str(method_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | ErrorBody | GatewayError | PaymentMethod | None:
    if response.status_code == 200:
        response_200 = PaymentMethod.from_dict(response.json())

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
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentMethod]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    resident_id: str,
    method_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentMethod]:
    """Detach the method at Stripe and remove it

    Args:
        resident_id (str):
        method_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ErrorBody | GatewayError | PaymentMethod]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        method_id=method_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    resident_id: str,
    method_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | ErrorBody | GatewayError | PaymentMethod | None:
    """Detach the method at Stripe and remove it

    Args:
        resident_id (str):
        method_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ErrorBody | GatewayError | PaymentMethod
    """

    return sync_detailed(
        resident_id=resident_id,
        method_id=method_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    resident_id: str,
    method_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ErrorBody | ErrorBody | GatewayError | PaymentMethod]:
    """Detach the method at Stripe and remove it

    Args:
        resident_id (str):
        method_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ErrorBody | GatewayError | PaymentMethod]
    """

    kwargs = _get_kwargs(
        resident_id=resident_id,
        method_id=method_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    resident_id: str,
    method_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> ErrorBody | ErrorBody | GatewayError | PaymentMethod | None:
    """Detach the method at Stripe and remove it

    Args:
        resident_id (str):
        method_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ErrorBody | GatewayError | PaymentMethod
    """

    return (
        await asyncio_detailed(
            resident_id=resident_id,
            method_id=method_id,
            client=client,
        )
    ).parsed
