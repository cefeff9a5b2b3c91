"""Record kinds as storage declares them: named attributes over a source, for the query
layer to compile requests over (docs/tenancy.md says who may see what).

An attribute is a value per record. Its `tenant` names the tenant whose scope may hide
it: outside the caller's scope it reads as NULL everywhere (answers, filters, ordering,
sums). A related value is one of several rows tied to each record (a session's legs, its
recordings), used to filter by "any of them" or summed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from gateway.storage.sessions import SessionKey
from gateway.storage.sources import Filter, Source
from gateway.storage.sql import Sql


@dataclass(frozen=True)
class Attribute:
    sql: Sql
    needs: tuple[str, ...] = ()
    text: bool = False  # compared and ordered as text (by code point)
    tenant: str | None = None  # the tenant id whose scope may hide the value


@dataclass(frozen=True)
class Related:
    """`value` of the rows `rows` (`FROM ... WHERE` tying them to the record), each hidden
    outside the scope of its `tenant`."""

    rows: str
    value: str
    tenant: str | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of record: where it is read, its attributes, and how a caller sees it.

    A record is in scope when its `tenant` is (`session`: when any leg of that session
    is)."""

    source: Source
    attributes: Mapping[str, Attribute]
    tenant: str
    session: SessionKey | None = None
    related: Mapping[str, Related] = field(default_factory=dict)
    always: tuple[Filter, ...] = ()  # what every record of the kind meets
    # an attribute unique per record: a page is found by it alone first, and the other
    # values are computed for that page's records only
    key: str | None = None


def plain(expr: str, *needs: str, text: bool = False, tenant: str | None = None) -> Attribute:
    return Attribute(Sql(expr), needs, text, tenant)
