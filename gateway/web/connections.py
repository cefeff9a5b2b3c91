"""The connections `gateway serve` accepts, guarded against clients that hold them open:
a time limit on the request line and headers, one on the body, and a cap on the open
connections of one client address (docs/configuration.md, "Connection limits").

aiohttp's server has none of these (only an idle keep-alive timeout), so the server's
protocol is a `RequestHandler` that times each request itself; `run_app` serves an app
with it exactly as `web.run_app` would (its sites, signals and graceful shutdown).
The handler reads aiohttp's per-connection state (`_request_count`, `_messages`,
`_request_in_progress`, as of aiohttp 3.14); tests/test_hostile_clients.py holds it to
its behaviour.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from contextlib import suppress
from typing import Any, Callable, Iterable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from gateway.core import addresses
from gateway.core.config import Limits
from gateway.core.errors import InvalidRequest

log = logging.getLogger(__name__)

KEEPALIVE_TIMEOUT_S = 75.0  # an idle kept-alive connection is closed after this (aiohttp's)


class BodyTimeout(InvalidRequest):
    """The body did not arrive within `limits.body_timeout_s`: refused with 408, and the
    connection is closed once the answer is out."""

    status = 408


class BodyIncomplete(InvalidRequest):
    """The connection closed before the whole body arrived (nobody reads the answer: it
    only keeps a client that hangs up from counting as a server error)."""

    status = 400


def _seconds(value: float) -> str:
    return f"{value:g}"


class Guard:
    """The limits, and the open connections per client address, of one server."""

    def __init__(self, limits: Limits) -> None:
        self.header_timeout = limits.header_timeout_s
        self.body_timeout = limits.body_timeout_s
        self.cap = limits.connections_per_ip
        self.exempt = addresses.networks(limits.connections_per_ip_exempt)
        self.open: dict[str, int] = {}
        self._refusing: set[str] = set()  # addresses at the cap, warned about once

    def admit(self, peer: Any) -> tuple[bool, str | None]:
        """(whether the connection may stay, the address it counts against or None)."""
        if not isinstance(peer, tuple):
            return True, None  # not an IP socket
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            return True, None
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in net for net in self.exempt):
            return True, None
        ip = str(address)
        count = self.open.get(ip, 0)
        if count >= self.cap:
            if ip not in self._refusing:
                self._refusing.add(ip)
                log.warning("closing new connections from %s: it has %d open "
                            "(limits.connections_per_ip)", ip, count)
            return False, None
        self.open[ip] = count + 1
        return True, ip

    def release(self, ip: str) -> None:
        count = self.open.get(ip, 0) - 1
        if count > 0:
            self.open[ip] = count
        else:
            self.open.pop(ip, None)
        if count < self.cap:
            self._refusing.discard(ip)


class GuardedHandler(RequestHandler):
    """One connection: closed when a request's line and headers take longer than the
    header timeout (counted from the connection's start, or from the first byte of a later
    request), answered 408 and closed when its body takes longer than the body timeout
    once the headers are in, and closed at once when its address is over the cap."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = manager.guard
        self._refused = False
        self._counted: str | None = None
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        allowed, self._counted = self._guard.admit(transport.get_extra_info("peername"))
        if not allowed:
            self._refused = True
            transport.close()
            return
        super().connection_made(transport)
        self._header_timer = self._loop.call_later(self._guard.header_timeout,
                                                   self._headers_late)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        reading = not (self._force_close or self._close or self._upgraded)
        if data and reading and self._header_timer is None and self._body is None:
            # the first byte of a request: its line and headers are timed from here
            self._header_timer = self._loop.call_later(self._guard.header_timeout,
                                                       self._headers_late)
        before = self._request_count
        super().data_received(data)
        if self._request_count == before or not reading:
            return
        self._cancel(self._header_timer)
        self._header_timer = None
        payload = self._messages[-1][1] if self._messages else None
        if isinstance(payload, StreamReader) and not payload.is_eof():
            self._body = payload
            self._body_timer = self._loop.call_later(self._guard.body_timeout,
                                                     self._body_late)
            payload.on_eof(self._body_received)

    def _body_received(self) -> None:
        self._cancel(self._body_timer)
        self._body_timer, self._body = None, None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport is None or self._force_close:
            return
        log.debug("closing a connection from %s: no complete request line and headers "
                  "within %s s (limits.header_timeout_s)", self._peer(),
                  _seconds(self._guard.header_timeout))
        self.force_close()

    def _body_late(self) -> None:
        self._body_timer = None
        payload, self._body = self._body, None
        if payload is None or payload.is_eof() or self.transport is None:
            return
        log.debug("a body from %s did not arrive within %s s (limits.body_timeout_s)",
                  self._peer(), _seconds(self._guard.body_timeout))
        if self._request_in_progress:
            # The handler reading it answers 408; nothing more is read, and the
            # connection closes once that answer is out.
            self.close()
            payload.set_exception(BodyTimeout(
                f"the body did not arrive within {_seconds(self._guard.body_timeout)} s "
                "(limits.body_timeout_s)"))
        else:
            self.force_close()  # answered already (the body was not wanted): just close
        payload.feed_eof()  # aiohttp stops waiting for the rest

    def _peer(self) -> str:
        peer = self.peername
        return str(peer[0]) if isinstance(peer, tuple) else str(peer)

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()

    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """Bytes that are not HTTP are answered 400 as aiohttp does, logged in one line
        rather than with a traceback (a client cannot fill the log with them)."""
        if status != 400 or not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        log.info("bad request from %s: %s", self._peer(), str(exc).replace("\n", " "))
        if request.writer.output_size > 0:
            raise ConnectionError("an answer is already under way")
        response = web.Response(status=status, text=message, content_type="text/plain")
        response.force_close()
        return response

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        self._cancel(self._header_timer)
        self._cancel(self._body_timer)
        self._header_timer = self._body_timer = None
        if self._body is not None and not self._body.is_eof() and self._request_in_progress:
            # the handler reading it refuses the request instead of failing on the reset
            self._body.set_exception(BodyIncomplete(
                "the connection closed before the whole body arrived"))
        self._body = None
        if self._counted is not None:
            self._guard.release(self._counted)
            self._counted = None
        super().connection_lost(exc)


class GuardedServer(web.Server):
    """aiohttp's server, its connections `GuardedHandler`s sharing one `Guard`."""

    def __init__(self, handler: Any, *, guard: Guard, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """`web.AppRunner` whose server is a `GuardedServer`."""

    def __init__(self, app: web.Application, guard: Guard, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return GuardedServer(plain.request_handler, guard=self.guard,
                             request_factory=plain.request_factory,
                             handler_cancellation=plain.handler_cancellation,
                             loop=asyncio.get_running_loop(), **plain._kwargs)


def run_app(app: web.Application, *, limits: Limits, sock: Iterable[socket.socket],
            ssl_context: Any = None, print: Callable[[str], None] | None = None,
            loop: asyncio.AbstractEventLoop, **kwargs: Any) -> None:
    """Serve `app` on the listening sockets `sock` until SIGTERM or SIGINT, as
    `web.run_app(app, sock=sock, ...)` does, with every connection guarded by `limits`.
    `kwargs` go to the runner (`access_log_class`, ...)."""
    kwargs.setdefault("keepalive_timeout", KEEPALIVE_TIMEOUT_S)

    async def serve() -> None:
        runner = GuardedRunner(app, Guard(limits), handle_signals=True, **kwargs)
        await runner.setup()
        try:
            sites = [web.SockSite(runner, s, ssl_context=ssl_context) for s in sock]
            for site in sites:
                await site.start()
            if print is not None:
                print(f"serving on {', '.join(sorted(site.name for site in sites))}")
            while True:
                await asyncio.sleep(3600)
        finally:
            await runner.cleanup()

    main = loop.create_task(serve())
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
