"""How a dialect reads params: a JSON body, or query and form fields in their string forms
(with path params and headers). Each step runs at its place in the order of checks
(`driver.py`): the form before authentication, since a credential may be among its
fields; a JSON body after it, since the caller's role sets the body limit."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Collection, Mapping

from aiohttp import web
from marshmallow import Schema
from multidict import MultiDict

from gateway.core.apikeys import Caller
from gateway.core.errors import InvalidParams, UnsupportedMediaType
from gateway.web import transport
from gateway.web.dialects import forms
from methods.context import Params, RpcMethod

Fields = MultiDict[str]
Options = Mapping[str, str]  # the route's own params (MOR's `format`), not the method's
# A field's value from its text (a ValueError is the field's message), given the schema of
# the method's params.
Convert = Callable[[str, str, Schema | None], Any]


@dataclass(frozen=True)
class Inputs:
    fields: Fields  # read before authentication
    body: Any = None  # read after it


@dataclass(frozen=True)
class Option:
    """A param of the route rather than of the method: one of `choices` (any case), the
    first by default."""

    name: str
    choices: tuple[str, ...]
    description: str = ""

    def pick(self, value: Any, error: type[InvalidParams]) -> str:
        chosen = str(value).lower()
        if chosen not in self.choices:
            raise error({self.name: f"Must be one of: {', '.join(self.choices)}."})
        return chosen

    def openapi(self) -> dict[str, Any]:
        return {"name": self.name, "in": "query", "required": False,
                "schema": {"type": "string", "enum": list(self.choices),
                           "default": self.choices[0]},
                "description": self.description}


class Reader(ABC):
    location: ClassVar[str] = "query"  # where OpenAPI puts the params: "query" or "body"
    headers: Mapping[str, str] = {}  # params sent as headers: param -> header
    options: tuple[Option, ...] = ()
    # Whether the OpenAPI document declares a POST's fields in the query as well as in the
    # form (both are read either way); otherwise only in the form.
    query_on_post: bool = False

    def check(self, request: web.Request) -> None:
        """Before the request takes a slot: refuse a body of the wrong type."""

    async def fields(self, request: web.Request) -> Fields:
        return MultiDict(request.query)

    async def body(self, request: web.Request, caller: Caller) -> Any:
        return None

    @abstractmethod
    def params(self, request: web.Request, inputs: Inputs,
               method: RpcMethod | None) -> tuple[Params, Options]:
        """After the rate limit: the method's params, and the route's options."""


class JsonBody(Reader):
    """The params as the body: one JSON object."""

    location = "body"

    def check(self, request: web.Request) -> None:
        if request.content_type != "application/json":
            raise UnsupportedMediaType("the Content-Type must be application/json")

    async def fields(self, request: web.Request) -> Fields:
        return MultiDict()

    async def body(self, request: web.Request, caller: Caller) -> Any:
        params = await transport.json_body(request, caller)
        if not isinstance(params, dict):
            raise InvalidParams({"params": "the body must be a JSON object of params"})
        return params

    def params(self, request: web.Request, inputs: Inputs,
               method: RpcMethod | None) -> tuple[Params, Options]:
        return inputs.body, {}


def as_text(name: str, text: str, schema: Schema | None) -> str:
    return text


def integers(names: Collection[str]) -> Convert:
    """Integers for the fields named, text for the rest."""
    return lambda name, text, schema: forms.integer(text) if name in names else text


@dataclass(frozen=True)
class StringFields(Reader):
    """Query fields, and those of a form body when `form`, each from its string form by
    `convert`; `skip` names fields read as the credential. See `forms.parsed` for
    `repeatable`, `skip_empty` and `error`. `path` adds the route's path params, and
    `headers` the params sent as headers. `query_on_post`: see `Reader`."""

    convert: Convert = as_text
    form: bool = True
    skip: Collection[str] = ()
    repeatable: Collection[str] = ()
    skip_empty: bool = True
    error: type[InvalidParams] = InvalidParams
    path: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    query_on_post: bool = False

    async def fields(self, request: web.Request) -> Fields:
        return await forms.request_fields(request) if self.form else MultiDict(request.query)

    def params(self, request: web.Request, inputs: Inputs,
               method: RpcMethod | None) -> tuple[Params, Options]:
        schema = method.params if method is not None else None
        params = forms.parsed(inputs.fields, lambda name, text: self.convert(name, text, schema),
                              skip=self.skip, repeatable=self.repeatable,
                              skip_empty=self.skip_empty, error=self.error)
        options = {o.name: o.pick(params.pop(o.name, o.choices[0]), self.error)
                   for o in self.options}
        if self.path:
            params.update(request.match_info)
        for param, header in self.headers.items():
            if header in request.headers:
                params[param] = request.headers[header]
        return params, options
