"""The service's error answers, the exception an endpoint raises to give one, and the JSON
body check that gives the commonest."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["Reject", "invalid", "json_object", "model_not_found", "not_found", "problem",
           "reject_handler"]


class Reject(Exception):
    """Raised by an endpoint to answer with `response` instead."""

    def __init__(self, response: Response):
        self.response = response


async def reject_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Reject)
    return exc.response


def problem(status_code: int, error_type: str, title: str, detail: str | None = None) -> Response:
    """The `{"error": {"type", "title", "detail"}, "status": "error", ...}` body."""
    error = {"type": error_type, "title": title}
    if detail is not None:
        error["detail"] = detail
    body = {"error": error, "status": "error", "status_message": error_type}
    return JSONResponse(body, status_code=status_code)


def invalid(title: str, detail: str) -> Reject:
    """400 `invalid_params`."""
    return Reject(problem(400, "invalid_params", title, detail))


def not_found() -> Reject:
    """404 `resource_not_found`."""
    return Reject(problem(404, "resource_not_found",
                          "The requested resource could not be found"))


def model_not_found(model: Any) -> Response:
    """The other error shape: `{"error": {"message": "Model not found: x"}}`."""
    return JSONResponse({"error": {"message": f"Model not found: {model}"}}, status_code=404)


async def json_object(request: Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object; otherwise 400 `invalid_params`."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Invalid request body", "The body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("Invalid request body", "The body must be a JSON object")
    return body
