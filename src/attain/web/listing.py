"""How the JSON API answers a list: one page of items with its position and Link header, or
every row as a CSV download."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response

from attain.reports.csv_safe import write_csv


def csv_response(rows: Sequence[dict[str, Any]], name: str) -> Response:
    """Rows as a CSV download; nested values as JSON."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    flat = (
        {
            key: json.dumps(value) if isinstance(value, dict | list) else value
            for key, value in row.items()
        }
        for row in rows
    )
    return Response(
        write_csv(flat, columns or ["empty"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def paginated(
    request: Request,
    response: Response,
    items: Sequence[dict[str, Any]],
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """One page of `items` with its position, and a Link header to its neighbours."""
    total = len(items)
    pages = max(1, -(-total // per_page))
    links = []
    if page < pages:
        links.append(f'<{request.url.include_query_params(page=page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{request.url.include_query_params(page=min(page - 1, pages))}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    start = (page - 1) * per_page
    return {
        "items": list(items[start : start + per_page]),
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
    }
