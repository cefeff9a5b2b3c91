"""From a parsed JSON-RPC body to the response objects.

jsonrpcserver 5 validates a batch as a whole, so each member is checked here first: a bad
member answers its own `-32600`, and each well-formed request goes through jsonrpcserver's
own steps for one request (the method looked up, the arguments bound to its signature,
the call, the response), with the context as first argument. A single request is awaited
in the request's own task; a batch's members are run by at most `limits.batch_parallel`
tasks, in order, so that one batch of heavy reports leaves database connections to
everyone else. Every call that touches the database is bounded by the call timeout,
counted from the request's start for every member of a batch (a member waiting for its
turn is inside it); `ping` and `rpc.discover` are not (decisions 8). Every
handler is wrapped so that nothing escapes to jsonrpcserver as an exception (it would copy
`str(exc)` into the answer): errors become envelopes in `errors.to_error_object`.

Each answer is encoded as it comes (and handed on encoded): the answers of one request
share `limits.response_bytes`, and once an answer would go past it, it and every answer
still to come are `422 response-too-large` (decisions 12), so a batch never builds an
answer without bound.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
from typing import Any, Callable

import orjson
from jsonrpcserver import Error, Result, Success
from jsonrpcserver.async_dispatcher import dispatch_request
from jsonrpcserver.dispatcher import create_request, not_notification, to_response
from jsonrpcserver.response import to_serializable
from marshmallow import Schema, ValidationError, fields

from gateway.core.errors import (Forbidden, GatewayError, Internal, InvalidParams, InvalidRequest,
                                 MethodNotFound, ResponseTooLarge, Timeout, error_class,
                                 to_error_object)
from gateway.web.encoding import encode
from methods.context import Context, Methods, RpcMethod

log = logging.getLogger(__name__)

Response = dict[str, Any]


def error_response(exc: BaseException, request_id: str, id_: Any = None) -> Response:
    return {"jsonrpc": "2.0", "error": to_error_object(exc, request_id), "id": id_}


# The integer ids an answer can carry back exactly (what the JSON encoder writes).
ID_MIN, ID_MAX = -(2 ** 63), 2 ** 64 - 1


def _id_is_valid(member: dict[str, Any]) -> bool:
    id_ = member.get("id")
    return id_ is None or (isinstance(id_, (str, int, float)) and not isinstance(id_, bool))


def check_member(member: Any) -> str | None:
    """Why a request object is not a valid JSON-RPC 2.0 request, or None."""
    if not isinstance(member, dict):
        return "a request must be a JSON object"
    if member.get("jsonrpc") != "2.0":
        return 'the member "jsonrpc" must be exactly "2.0"'
    if not isinstance(member.get("method"), str):
        return 'the member "method" must be a string'
    if "params" in member and not isinstance(member["params"], (list, dict)):
        return 'the member "params" must be an array or an object'
    if not _id_is_valid(member):
        return 'the member "id" must be a string, a number or null'
    if isinstance(member.get("id"), int) and not ID_MIN <= member["id"] <= ID_MAX:
        return 'the member "id" must be an integer of at most 64 bits, a string or null'
    return None


def param_names(schema: Schema) -> list[str]:
    """The names a client sends, in positional order (a field's `data_key` when set)."""
    return [f.data_key or name for name, f in schema.fields.items()]


def bind_params(method: RpcMethod, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Params by position (in the schema's field order) or by name, loaded by the schema."""
    names = param_names(method.params)
    if len(args) > len(names):
        raise InvalidParams({"params": f"at most {len(names)} positional params are accepted"})
    raw = dict(zip(names, args)) if args else kwargs
    if not raw and not names:
        return {}  # nothing to load (ping): spare the schema's work
    judged_alone = _judged_alone(method.params)
    for name, value in raw.items():
        if name not in judged_alone:
            where = _nul_in(value, name)
            if where is not None:
                raise InvalidParams({where: "Must not contain the NUL character."})
    try:
        return dict(method.params.load(raw))
    except ValidationError as exc:
        raise InvalidParams(_first_messages(exc.normalized_messages())) from exc


@functools.cache
def _judged_alone(schema: Schema) -> frozenset[str]:
    """The params of raw items that their method checks one by one (ingest records)."""
    return frozenset(f.data_key or name for name, f in schema.fields.items() if isinstance(
        f.inner if isinstance(f, fields.List) else f, fields.Raw))


def _nul_in(value: Any, path: str) -> str | None:
    """The path of the first text (or name) holding a NUL character, which no database
    text column can store (PostgreSQL refuses it)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Any = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        inner = f"{path}.{key}"
        if "\x00" in str(key):
            return inner
        found = _nul_in(item, inner)
        if found is not None:
            return found
    return None


def _first_messages(messages: Any) -> Any:
    """marshmallow lists messages per field; the envelope holds one string per field."""
    if isinstance(messages, dict):
        return {str(k): _first_messages(v) for k, v in messages.items()}
    if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        return " ".join(messages)
    return messages


# Told of each call answered: (method, outcome, seconds, result). The method is None for a
# request object that names no method of the API; the outcome is "ok" or the error's class
# (`errors.error_class`); the result is None unless the call succeeded.
Observe = Callable[[str | None, str, float, Any], None]


def _unobserved(method: str | None, outcome: str, seconds: float, result: Any) -> None:
    pass


async def invoke(name: str, method: RpcMethod, context: Context, args: tuple[Any, ...],
                 kwargs: dict[str, Any], timeout_s: float) -> Any:
    """One call: role check, params, handler, timeout. Raises `GatewayError`s only,
    except for a bug (any other exception), which the caller logs and hides."""
    if context.caller.role not in method.roles:
        raise Forbidden(f"the role {context.caller.role!r} may not call {name}")
    params = bind_params(method, args, kwargs)
    if not method.timed:
        return await method.handler(context, params)
    deadline = _deadline.get(None)
    if deadline is not None and asyncio.get_running_loop().time() >= deadline:
        raise Timeout(timeout_s, context.request_id)  # its batch's time is up: not started
    try:
        async with (asyncio.timeout(timeout_s) if deadline is None
                    else asyncio.timeout_at(deadline)):
            return await method.handler(context, params)
    except TimeoutError:
        raise Timeout(timeout_s, context.request_id) from None


class Budget:
    """The bytes the answers of one request may still take."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, answer: bytes) -> bytes:
        """`answer`, counted; `ResponseTooLarge` once the answers go past the limit."""
        if len(answer) > self.left:
            self.left = -1  # every answer still to come is refused too
            raise ResponseTooLarge(self.limit)
        self.left -= len(answer)
        return answer


# The budget of the request being dispatched; the tasks of a batch's members share it.
_budget: contextvars.ContextVar[Budget] = contextvars.ContextVar("response_budget")
# When the calls of the batch being dispatched time out (the event loop's clock).
_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline")


def wrap(name: str, method: RpcMethod, timeout_s: float, observe: Observe) -> Callable[..., Any]:
    """The function jsonrpcserver calls: `invoke`, with every error as an error object and
    the result encoded."""

    async def call(context: Context, /, *args: Any, **kwargs: Any) -> Result:
        started = time.perf_counter()
        try:
            result = await invoke(name, method, context, args, kwargs, timeout_s)
            encoded = _budget.get().take(encode(result))
        except Exception as exc:
            err = _failed(name, exc, context.request_id)
            observe(name, error_class(exc), time.perf_counter() - started, None)
            return Error(err["code"], err["message"], err["data"])
        observe(name, "ok", time.perf_counter() - started, result)
        return Success(orjson.Fragment(encoded))

    # jsonrpcserver binds every call's arguments to the method's signature; computing it
    # once here spares an `inspect.signature` per call.
    call.__signature__ = inspect.signature(call)  # type: ignore[attr-defined]
    return call


def _failed(name: str, exc: Exception, request_id: str) -> dict[str, Any]:
    """The error object of a failed call, logged."""
    if isinstance(exc, GatewayError):
        err = exc.error_object()
        log.info("%s failed (request %s): %s", name, request_id, err["message"],
                 extra={"request_id": request_id})
        return err
    log.error("unexpected error in %s (request %s)", name, request_id, exc_info=exc,
              extra={"request_id": request_id})
    return to_error_object(exc, request_id)


class Dispatcher:
    """Holds the wrapped methods; turns a parsed body into the list of responses."""

    def __init__(self, methods: Methods, timeout_s: float, response_bytes: int,
                 parallel: int, observe: Observe = _unobserved) -> None:
        self.methods, self.timeout_s, self.observe = methods, timeout_s, observe
        self.response_bytes, self.parallel = response_bytes, parallel
        self.wrapped = {name: wrap(name, m, timeout_s, observe) for name, m in methods.items()}

    async def call(self, name: str, params: dict[str, Any], context: Context) -> Any:
        """One call by name, for a dialect route: the result, or a `GatewayError`
        (an unexpected exception is logged and raised as `Internal`)."""
        started = time.perf_counter()
        try:
            result = await invoke(name, self.methods[name], context, (), params, self.timeout_s)
            Budget(self.response_bytes).take(encode(result))
        except Exception as exc:
            _failed(name, exc, context.request_id)
            self.observe(name, error_class(exc), time.perf_counter() - started, None)
            if isinstance(exc, GatewayError):
                raise
            raise Internal(context.request_id) from exc
        self.observe(name, "ok", time.perf_counter() - started, result)
        return result

    async def dispatch(self, body: Any, context: Context) -> list[Response] | Response | None:
        """Responses for a single request (one object or None) or a batch (a list)."""
        members = body if isinstance(body, list) else [body]
        early: list[Response] = []
        valid: list[dict[str, Any]] = []
        for member in members:
            problem = check_member(member)
            if problem is not None:
                early.append(error_response(InvalidRequest(problem), context.request_id))
                self.observe(None, "invalid-request", 0.0, None)
            elif member["method"] not in self.wrapped:
                if "id" in member:
                    early.append(error_response(MethodNotFound(member["method"]),
                                                context.request_id, member["id"]))
                self.observe(None, "method-not-found", 0.0, None)
            else:
                valid.append(member)
        # this request's only: a kept-alive connection serves its requests in one task
        budget = _budget.set(Budget(self.response_bytes))
        try:
            answered = await self._run(valid, context) if valid else []
        finally:
            _budget.reset(budget)
        responses = early + answered
        if not isinstance(body, list):
            return responses[0] if responses else None
        return responses or None

    async def _run(self, members: list[dict[str, Any]], context: Context) -> list[Response]:
        requests = [create_request(member) for member in members]
        methods: Any = self.wrapped  # jsonrpcserver's `Methods`: name -> function
        done: list[Any]  # (request, result) pairs, in the members' order
        if len(requests) == 1:
            done = [await dispatch_request(methods, context, requests[0])]
        else:
            done = [None] * len(requests)
            turns = iter(range(len(requests)))

            async def take_turns() -> None:
                for i in turns:
                    done[i] = await dispatch_request(methods, context, requests[i])

            deadline = _deadline.set(asyncio.get_running_loop().time() + self.timeout_s)
            try:
                await asyncio.gather(*(take_turns() for _ in range(min(self.parallel,
                                                                       len(requests)))))
            finally:
                _deadline.reset(deadline)
        # to_serializable's declared type is wider than what a single response gives
        return [to_serializable(to_response(*d))  # type: ignore[misc]
                for d in done if not_notification(d)]
