"""A dialect's errors as data: each exception class maps to a rule giving the vendor's
HTTP status and body, found by walking the exception's MRO (as starlette finds an
exception handler), so the nearest class wins and `GatewayError` catches the rest."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, TypeVar

from gateway.core.errors import (Forbidden, GatewayError, InvalidParams, InvalidRequest,
                                 MethodNotAllowed, NotFound, ParseError, Unprocessable)

T = TypeVar("T")
VendorError = tuple[int, Any]  # the HTTP status, and the body the dialect's renderer writes
ErrorRule = Callable[[Any], VendorError]  # given the exception of its class (or a subclass)
# Keyed by `type[Exception]`: a `type[GatewayError]` could not hold the abstract base.
ErrorMap = Mapping[type[Exception], ErrorRule]


def nearest(mapping: Mapping[type[Exception], T], exc: GatewayError) -> T:
    """The value of the exception's nearest class in `mapping`."""
    for cls in type(exc).__mro__:
        if cls in mapping:
            return mapping[cls]
    raise LookupError(f"nothing is mapped for {type(exc).__name__}")


class WrongVerb(MethodNotAllowed):
    """A verb the route does not serve; `allowed` names those it does (`GET or POST`)."""

    def __init__(self, verb: str, path: str, allowed: Sequence[str]) -> None:
        self.verb, self.allowed = verb, " or ".join(allowed)
        super().__init__(f"{verb} is not allowed on {path}; use {self.allowed}")

    @property
    def briefly(self) -> str:
        """The message without the path, as some vendors word it."""
        return f"{self.verb} is not allowed; use {self.allowed}"


# For the routes that answer an error in the HTTP status of its class (the active sessions
# report, report files); the internal error and the timeout are 500.
STATUS_OF_CLASS: Mapping[type[Exception], int] = {
    InvalidParams: 400, ParseError: 400, InvalidRequest: 400, Forbidden: 403, NotFound: 404,
    Unprocessable: 422, GatewayError: 500}


def status_of(exc: GatewayError) -> int:
    """The HTTP status of an error's class, or its own for a refusal of the whole request
    (401, 405, 413, 415, 429, 503)."""
    return exc.status if exc.status != 200 else nearest(STATUS_OF_CLASS, exc)
