"""The gateway's exceptions and the one place where they become error objects.

Handlers and the transport only raise; `to_error_object` turns an exception into the
JSON-RPC error object of the shared envelope (docs/rpc.md).
Anything that is not a `GatewayError` becomes the generic internal error, with nothing
of the exception in it.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any, Mapping

from gateway.core import codes

ErrorObject = dict[str, Any]


class GatewayError(Exception, metaclass=ABCMeta):
    """Base of every error a client may see. `status` is the HTTP status when the error
    refuses a whole request on `/rpc` (200 when it is one call's error)."""

    code: int = codes.INTERNAL_ERROR
    status: int = 200
    kind: str | None = None  # its class where its code does not name one (`error_class`)

    @abstractmethod
    def error_object(self) -> ErrorObject:
        """The JSON-RPC error object of this error."""


class _MessageError(GatewayError):
    message = ""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def error_object(self) -> ErrorObject:
        return {"code": self.code, "message": self.message, "data": {"message": self.detail}}


class ParseError(_MessageError):
    code = codes.PARSE_ERROR
    message = "Parse error"


class InvalidRequest(_MessageError):
    code = codes.INVALID_REQUEST
    message = "Invalid Request"


class MethodNotAllowed(InvalidRequest):
    status = 405


class UnsupportedMediaType(InvalidRequest):
    status = 415


class PayloadTooLarge(InvalidRequest):
    status = 413


class MethodNotFound(GatewayError):
    code = codes.METHOD_NOT_FOUND

    def __init__(self, method: str) -> None:
        super().__init__(method)
        self.method = method

    def error_object(self) -> ErrorObject:
        return {"code": self.code, "message": "Method not found", "data": {"method": self.method}}


class InvalidParams(GatewayError):
    """One entry per bad field, `{"<field>": "<message>"}` (nested for nested params)."""

    code = codes.INVALID_PARAMS

    def __init__(self, fields: Mapping[str, Any]) -> None:
        super().__init__(dict(fields))
        self.fields = dict(fields)

    @classmethod
    def missing_object(cls, param: str, table: str, object_id: object) -> "InvalidParams":
        return cls({param: f'Object "{table}({object_id})" was not found!'})

    def error_object(self) -> ErrorObject:
        return {"code": self.code, "message": "Invalid request", "data": self.fields}


class _CodedError(GatewayError):
    """An error whose `data` carries a string `code` and a `message`."""

    text_code = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.detail = message

    def data(self) -> dict[str, Any]:
        return {"code": self.text_code, "message": self.detail}

    def error_object(self) -> ErrorObject:
        return {"code": self.code, "message": f"{self.text_code}: {self.detail}",
                "data": self.data()}


class AuthenticationFailed(_CodedError):
    code = codes.AUTH_FAILED
    status = 401
    text_code = "utoken-auth-failed"

    def __init__(self, reason: str) -> None:
        super().__init__(f"Authentication Failed: {reason}")
        self.reason = reason


class Forbidden(_CodedError):
    code = codes.FORBIDDEN
    text_code = "forbidden"


class NotFound(_CodedError):
    code = codes.NOT_FOUND
    text_code = "not_found"

    def __init__(self, table: str, object_id: object) -> None:
        super().__init__(f'Object "{table}({object_id})" was not found!')
        self.table = table
        self.object_id = str(object_id)

    def data(self) -> dict[str, Any]:
        return {**super().data(), "object_name": self.table, "object_id": self.object_id}


class Unprocessable(_CodedError):
    """A logical error (422) with its own code, e.g. `report-too-large`."""

    code = codes.UNPROCESSABLE

    def __init__(self, text_code: str, message: str) -> None:
        self.text_code = text_code
        super().__init__(message)


class ResponseTooLarge(Unprocessable):
    """The answers of one request would exceed `limits.response_bytes`."""

    def __init__(self, limit: int) -> None:
        super().__init__("response-too-large", f"the answers of this request would take "
                         f"more than {limit} bytes (limits.response_bytes)")


class RetryLater(_CodedError):
    def __init__(self, message: str, retry_after_ms: int) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms

    def data(self) -> dict[str, Any]:
        return {**super().data(), "retry_after_ms": self.retry_after_ms}


class RateLimited(RetryLater):
    code = codes.RATE_LIMITED
    status = 429
    text_code = "rate-limited"


class Busy(RetryLater):
    code = codes.BUSY
    status = 503
    text_code = "busy"


class Timeout(GatewayError):
    code = codes.INTERNAL_ERROR

    def __init__(self, seconds: float, request_id: str) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.request_id = request_id

    def error_object(self) -> ErrorObject:
        return {"code": self.code,
                "message": f"timeout: the call took longer than {self.seconds:g} s",
                "data": {"code": "timeout", "request_id": self.request_id}}


class Internal(GatewayError):
    """An unexpected error: nothing of it reaches the client but the request id."""

    def __init__(self, request_id: str) -> None:
        super().__init__(request_id)
        self.request_id = request_id

    def error_object(self) -> ErrorObject:
        return {"code": codes.INTERNAL_ERROR, "message": "An unexpected error occurred",
                "data": {"request_id": self.request_id}}


def internal_error(request_id: str) -> ErrorObject:
    return Internal(request_id).error_object()


# The class of each error without a text code of its own, by its JSON-RPC code.
_CLASSES = {codes.PARSE_ERROR: "parse-error", codes.INVALID_REQUEST: "invalid-request",
            codes.METHOD_NOT_FOUND: "method-not-found", codes.INVALID_PARAMS: "invalid-params"}


def error_class(exc: BaseException) -> str:
    """The error's class as the request log and the metrics name it: the text code of its
    envelope (`forbidden`, `not_found`, `rate-limited`, `busy`, `report-too-large`, ...),
    `timeout`, or the JSON-RPC error's name (`parse-error`, `invalid-request`,
    `method-not-found`, `invalid-params`), or the `kind` an error of a route sets;
    `internal` for anything unexpected. A small, fixed set: every value is written in the
    code."""
    if isinstance(exc, _CodedError):
        return exc.text_code
    if isinstance(exc, Timeout):
        return "timeout"
    if isinstance(exc, GatewayError):
        return exc.kind or _CLASSES.get(exc.code, "internal")
    return "internal"


def to_error_object(exc: BaseException, request_id: str) -> ErrorObject:
    """The error object for any exception: ours as the envelope says, anything else generic."""
    if isinstance(exc, GatewayError):
        return exc.error_object()
    return internal_error(request_id)
