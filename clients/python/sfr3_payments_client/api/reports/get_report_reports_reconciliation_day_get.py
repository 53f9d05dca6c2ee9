from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.get_report_reports_reconciliation_day_get_format import GetReportReportsReconciliationDayGetFormat
from ...models.http_validation_error import HTTPValidationError
from ...types import UNSET, Response, Unset


def _get_kwargs(
    day: str,
    *,
    format_: GetReportReportsReconciliationDayGetFormat | Unset = GetReportReportsReconciliationDayGetFormat.JSON,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/reports/reconciliation/{day}".format(
            day=quote(str(day), safe=""),
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
    day: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetReportReportsReconciliationDayGetFormat | Unset = GetReportReportsReconciliationDayGetFormat.JSON,
) -> Response[HTTPValidationError | str]:
    """One day's reconciliation report: summary JSON or CSV (finance)

    Args:
        day (str):
        format_ (GetReportReportsReconciliationDayGetFormat | Unset):  Default:
            GetReportReportsReconciliationDayGetFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        day=day,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    day: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetReportReportsReconciliationDayGetFormat | Unset = GetReportReportsReconciliationDayGetFormat.JSON,
) -> HTTPValidationError | str | None:
    """One day's reconciliation report: summary JSON or CSV (finance)

    Args:
        day (str):
        format_ (GetReportReportsReconciliationDayGetFormat | Unset):  Default:
            GetReportReportsReconciliationDayGetFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return sync_detailed(
        day=day,
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    day: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetReportReportsReconciliationDayGetFormat | Unset = GetReportReportsReconciliationDayGetFormat.JSON,
) -> Response[HTTPValidationError | str]:
    """One day's reconciliation report: summary JSON or CSV (finance)

    Args:
        day (str):
        format_ (GetReportReportsReconciliationDayGetFormat | Unset):  Default:
            GetReportReportsReconciliationDayGetFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[HTTPValidationError | str]
    """

    kwargs = _get_kwargs(
        day=day,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    day: str,
    *,
    client: AuthenticatedClient | Client,
    format_: GetReportReportsReconciliationDayGetFormat | Unset = GetReportReportsReconciliationDayGetFormat.JSON,
) -> HTTPValidationError | str | None:
    """One day's reconciliation report: summary JSON or CSV (finance)

    Args:
        day (str):
        format_ (GetReportReportsReconciliationDayGetFormat | Unset):  Default:
            GetReportReportsReconciliationDayGetFormat.JSON.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        HTTPValidationError | str
    """

    return (
        await asyncio_detailed(
            day=day,
            client=client,
            format_=format_,
        )
    ).parsed
