"""Configuration: defaults < `config.yaml` < environment, validated into frozen dataclasses
(spec README, "Config and command line" and "Limits")."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gateway.core.config import Config, ConfigError, load_config
from gateway.storage import backend_for

MiB = 1 << 20

FILE = """\
database: sqlite:///{tmp}/from-file.db
host: 0.0.0.0
port: 9001
timezone: Europe/Berlin
default_code_deck_id: 7
limits:
  batch_calls: 20
  body_bytes: 2048
  rate_per_second: 5
  rate_burst: 10
  call_timeout_s: 2.5
exports:
  folder: {tmp}/exports
  workers: 3
metrics:
  allow: [10.0.0.0/8]
proxies:
  trusted: [192.168.0.0/16, "2001:db8::/32"]
secrets:
  server_key: from-the-file
log:
  format: json
"""


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def config_file(tmp_path: Path) -> str:
    return write(tmp_path, FILE.format(tmp=tmp_path))


def names_key(message: str, key: str) -> bool:
    """The message names `key` as a key path (`port: ...`, `limits.bogus: ...`)."""
    return re.search(rf"(?<![\w.]){re.escape(key)}: ", message) is not None


# --- defaults ---------------------------------------------------------------------------

def test_defaults_without_file_or_environment() -> None:
    config = load_config(None, environ={}, search_default=False)
    assert config.database == "sqlite:///./gateway.db"
    assert config.port == 8080
    assert config.timezone == "UTC"
    assert config.default_code_deck_id is None
    assert config.proxies.trusted == ()
    assert config.secrets.server_key is None
    assert config.log.format == "text"


def test_default_limits_are_the_documented_ones() -> None:
    limits = load_config(None, environ={}, search_default=False).limits
    assert limits.body_bytes == 1 * MiB
    assert limits.ingest_body_bytes == 16 * MiB
    assert limits.batch_calls == 100
    assert limits.rate_per_second == 50
    assert limits.rate_burst == 100
    assert limits.call_timeout_s == 30.0
    assert limits.date_range_days == 366
    assert limits.report_rows == 100_000


def test_default_export_retention_is_seven_days() -> None:
    assert load_config(None, environ={}, search_default=False).exports.keep_days == 7


def test_defaults_equal_the_dataclass_defaults() -> None:
    assert load_config(None, environ={}, search_default=False) == Config()


# --- the file ---------------------------------------------------------------------------

def test_values_from_a_yaml_file(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path), environ={}, search_default=False)
    assert config.database == f"sqlite:///{tmp_path}/from-file.db"
    assert config.host == "0.0.0.0"
    assert config.port == 9001
    assert config.timezone == "Europe/Berlin"
    assert config.default_code_deck_id == 7
    assert config.limits.batch_calls == 20
    assert config.limits.body_bytes == 2048
    assert config.limits.rate_per_second == 5
    assert config.limits.rate_burst == 10
    assert config.limits.call_timeout_s == 2.5
    assert config.exports.folder == f"{tmp_path}/exports"
    assert config.exports.workers == 3
    assert config.metrics.allow == ("10.0.0.0/8",)
    assert config.proxies.trusted == ("192.168.0.0/16", "2001:db8::/32")
    assert config.secrets.server_key == "from-the-file"
    assert config.log.format == "json"


def test_keys_missing_from_the_file_keep_their_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "limits:\n  batch_calls: 5\n"), environ={},
                         search_default=False)
    assert config.limits.batch_calls == 5
    assert config.limits.body_bytes == 1 * MiB
    assert config.limits.rate_per_second == 50
    assert config.port == 8080
    assert config.database == "sqlite:///./gateway.db"


def test_an_empty_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ""), environ={}, search_default=False) == Config()


def test_config_yaml_in_the_working_folder_is_read_when_present(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "port: 9100\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(None, environ={}).port == 9100
    assert load_config(None, environ={}, search_default=False).port == 8080


def test_an_explicit_path_wins_over_the_working_folders_config_yaml(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "port: 9100\n")
    other = write(tmp_path, "port: 9200\n", name="other.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_config(other, environ={}).port == 9200


# --- the environment --------------------------------------------------------------------

def test_environment_overrides_win_over_the_file(tmp_path: Path) -> None:
    environ = {"GATEWAY_DATABASE": f"sqlite:///{tmp_path}/from-env.db",
               "GATEWAY_HOST": "127.0.0.2",
               "GATEWAY_PORT": "9002",
               "GATEWAY_LIMITS__BATCH_CALLS": "7"}
    config = load_config(config_file(tmp_path), environ=environ, search_default=False)
    assert config.database == f"sqlite:///{tmp_path}/from-env.db"
    assert config.host == "127.0.0.2"
    assert config.port == 9002
    assert config.limits.batch_calls == 7
    # the file's other values stay
    assert config.limits.body_bytes == 2048
    assert config.timezone == "Europe/Berlin"


def test_environment_overrides_apply_without_a_file() -> None:
    config = load_config(None, environ={"GATEWAY_PORT": "9003",
                                        "GATEWAY_LIMITS__CALL_TIMEOUT_S": "1.5",
                                        "GATEWAY_SECRETS__SERVER_KEY": "from-env"},
                         search_default=False)
    assert config.port == 9003
    assert config.limits.call_timeout_s == 1.5
    assert config.secrets.server_key == "from-env"


def test_list_keys_from_the_environment_are_comma_separated(tmp_path: Path) -> None:
    environ = {"GATEWAY_PROXIES__TRUSTED": "10.0.0.0/8, 172.16.0.0/12,::1/128"}
    config = load_config(config_file(tmp_path), environ=environ, search_default=False)
    assert config.proxies.trusted == ("10.0.0.0/8", "172.16.0.0/12", "::1/128")


def test_the_test_suites_variables_and_unprefixed_ones_are_ignored() -> None:
    environ = {"GATEWAY_TEST_POSTGRES_DSN": "postgresql://user@localhost/test",
               "GATEWAY_PORT": "9004", "PORT": "1", "DATABASE": "mysql://elsewhere"}
    config = load_config(None, environ=environ, search_default=False)
    assert config == dataclasses.replace(Config(), port=9004)


@pytest.mark.parametrize(("environ", "message"), [
    ({"GATEWAY_PROT": "9000"},
     "unknown environment variable GATEWAY_PROT: no configuration key has that name"),
    ({"GATEWAY_LIMITS__BATCH": "5", "GATEWAY_LIMITS": "x", "GATEWAY_PORT": "9000"},
     "unknown environment variables GATEWAY_LIMITS, GATEWAY_LIMITS__BATCH: no configuration "
     "key has that name"),
    ({"GATEWAY_database": "sqlite:///x.db"},  # names are upper case
     "unknown environment variable GATEWAY_database: no configuration key has that name"),
], ids=["typo", "two-and-a-section", "lower-case"])
def test_a_prefixed_variable_that_names_no_key_stops_start_up_with_its_name(
        environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, environ=environ, search_default=False)
    assert str(raised.value) == message


def test_a_test_suite_variable_of_any_name_is_left_alone() -> None:
    environ = {"GATEWAY_TEST_ANYTHING": "1", "GATEWAY_TEST_POSTGRES_DSN": "postgresql://x@y/z"}
    assert load_config(None, environ=environ, search_default=False) == Config()


# --- database URLs ------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["postgresql://gw@db:port/gateway",
                                 "postgresql://gw@db:65536/gateway", "sqlite:///"])
def test_a_malformed_database_url_names_database(url: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, environ={"GATEWAY_DATABASE": url}, search_default=False)
    assert names_key(str(raised.value), "database"), str(raised.value)


@pytest.mark.parametrize("url", ["postgresql://gw:pw@db:5432/gateway", "postgres://db/gateway",
                                 "postgresql:///gateway", "postgresql://[::1]:5433/gateway",
                                 "postgresql://gw@db1:5432,db2:5432/gateway"])
def test_postgresql_urls_libpq_reads_are_accepted(url: str) -> None:
    config = load_config(None, environ={"GATEWAY_DATABASE": url}, search_default=False)
    assert config.database == url


async def test_sqlite_urls_three_slashes_relative_four_absolute(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    # sqlite:///data/g.db is ./data/g.db; sqlite:////<tmp>/elsewhere/g.db is that absolute
    # path; both folders are missing and are created
    for url in ("sqlite:///data/g.db", f"sqlite:///{elsewhere}/g.db"):
        db = backend_for(load_config(None, environ={"GATEWAY_DATABASE": url},
                                     search_default=False).database)
        await db.open()
        await db.close()
    assert (work / "data" / "g.db").is_file()
    assert (elsewhere / "g.db").is_file()
    assert not (work / str(elsewhere).lstrip("/")).exists()


# --- bad values -------------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "key"), [
    ({"GATEWAY_PORT": "x"}, "port"),
    ({"GATEWAY_PORT": "70000"}, "port"),
    ({"GATEWAY_PORT": "-1"}, "port"),
    ({"GATEWAY_DATABASE": "mysql://"}, "database"),
    ({"GATEWAY_TIMEZONE": "Mars/Base"}, "timezone"),
    ({"GATEWAY_PROXIES__TRUSTED": "10.0.0.0/8,not-a-cidr"}, "proxies.trusted"),
    ({"GATEWAY_METRICS__ALLOW": "300.1.1.1/8"}, "metrics.allow"),
    ({"GATEWAY_LIMITS__BATCH_CALLS": "0"}, "limits.batch_calls"),
    ({"GATEWAY_LOG__FORMAT": "xml"}, "log.format"),
], ids=["port-x", "port-70000", "port-negative", "database-mysql", "timezone-mars",
        "trusted-bad-cidr", "metrics-bad-cidr", "batch-zero", "log-format"])
def test_a_bad_environment_value_names_its_key(environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, environ=environ, search_default=False)
    assert names_key(str(raised.value), key), str(raised.value)


@pytest.mark.parametrize(("text", "key"), [
    ("port: x\n", "port"),
    ("port: 70000\n", "port"),
    ("database: 'mysql://'\n", "database"),
    ("timezone: Mars/Base\n", "timezone"),
    ("proxies:\n  trusted: [10.0.0.0/8, 10.0.0.0/33]\n", "proxies.trusted"),
    ("limits:\n  bogus: 1\n", "limits.bogus"),
    ("bogus: 1\n", "bogus"),
    ("database: null\n", "database"),
    ("port: null\n", "port"),
    ("limits:\n  batch_calls: null\n", "limits.batch_calls"),
], ids=["port-x", "port-70000", "database-mysql", "timezone-mars", "trusted-bad-cidr",
        "unknown-nested-key", "unknown-top-key", "database-null", "port-null", "batch-null"])
def test_a_bad_file_value_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, text), environ={}, search_default=False)
    assert names_key(str(raised.value), key), str(raised.value)


def test_the_bad_cidr_itself_is_quoted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not-a-cidr"):
        load_config(None, environ={"GATEWAY_PROXIES__TRUSTED": "not-a-cidr"},
                    search_default=False)


def test_the_environment_cannot_repair_an_unknown_file_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, "limits:\n  bogus: 1\n"), environ={"GATEWAY_PORT": "9000"},
                    search_default=False)
    assert names_key(str(raised.value), "limits.bogus")


@pytest.mark.parametrize("text", ["- port\n- 8080\n", "just a string\n", "42\n"],
                         ids=["list", "string", "number"])
def test_a_top_level_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={}, search_default=False)
    assert path in str(raised.value)
    assert "mapping" in str(raised.value)


def test_a_missing_config_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={}, search_default=False)
    assert path in str(raised.value)


def test_invalid_yaml_is_refused_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, "port: [8080\nlimits: {\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={}, search_default=False)
    assert path in str(raised.value)
    assert "YAML" in str(raised.value)


# --- frozen -----------------------------------------------------------------------------

def test_the_config_is_frozen() -> None:
    config = load_config(None, environ={}, search_default=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.port = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.limits.batch_calls = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.proxies.trusted = ("10.0.0.0/8",)  # type: ignore[misc]
    assert config.port == 8080
    assert config.limits.batch_calls == 100


def test_list_values_are_immutable_tuples(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path), environ={}, search_default=False)
    assert isinstance(config.proxies.trusted, tuple)
    assert isinstance(config.metrics.allow, tuple)
