"""The access log masks the credential values of query strings however they are spelled
(gateway/web/access_log.py); tests/test_readme.py checks the log of a real server."""

from __future__ import annotations

import pytest

from gateway.web.access_log import masked


@pytest.mark.parametrize("target, shown", [
    ("/platform_api/GetCallHistory?account_id=7&api_key=ab.cd",
     "/platform_api/GetCallHistory?account_id=7&api_key=***"),
    ("/billing/api/aggregate_get?u=k1&hash=0f0f&from=1",
     "/billing/api/aggregate_get?u=k1&hash=***&from=1"),
    ("/x?API_KEY=s&Hash=h", "/x?API_KEY=***&Hash=***"),  # names in any case
    ("/x?api%5Fkey=s&api_key=t", "/x?api%5Fkey=***&api_key=***"),  # percent-encoded, repeated
    ("/x?api+key=s&apikey=s", "/x?api+key=s&apikey=s"),  # other names are left as sent
    ("/x?api_key", "/x?api_key=***"),  # a name without a value
    ("/x", "/x"),
    ("http://example.com/a?hash=1#f", "http://example.com/a?hash=***"),
])
def test_credential_values_are_masked(target: str, shown: str) -> None:
    assert masked(target) == shown
