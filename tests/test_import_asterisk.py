"""`gateway import` on files as real switches write them (spec ingest.md section 3,
"Revised after real files"; decisions-2026-12 section 6), on every engine: the figures of
each fixture computed by hand and read back through `aggregate_get` and `GetCallHistory`.

Fixtures in tests/fixtures/import/ (times UTC unless said):
- `failover.csv`, Asterisk `cdr_csv` with 21 columns, three calls, caller names and one
  account code in Latin-1:
  | call         | lines (sequence)                                    | answered | billsec |
  |--------------|-----------------------------------------------------|----------|---------|
  | 1767607200.1 | 1 NO ANSWER to 301 (the file writes an answer time), | yes      | 120     |
  |              | 2 ANSWERED to 302, 120 s; 10:00:00 to 10:02:25      |          |         |
  | 1767607500.4 | 4 BUSY, 5 NO ANSWER (with an answer time), 6        | no       | 0       |
  |              | CONGESTION; account code `Soci\\xe9t\\xe9`; 10:05:00-10:05:23 |   |         |
  | 1767607800.8 | 8 ANSWERED with billsec 0; 10:10:00 to 10:10:02     | yes      | 0       |
  So 3 calls, 2 answered (ASR 66.67), 120 billed seconds (ACD 120 / 2 = 60), 6 attempts.
- `custom.csv`, the stock `cdr_custom.conf` line (19 columns, no linkedid: grouped by
  uniqueid): 1767690000.10 NO ANSWER (seq 11) then ANSWERED 45 s (seq 12); 1767691800.13
  ANSWERED 30 s. So 2 calls, 2 answered, 75 s (ACD 37.50), 3 attempts.
- `grown-1.csv` then `grown-2.csv`, one Master.csv as it grows: 1767772800.16 (NO ANSWER,
  then ANSWERED 60 s) and 1767773400.19 (ANSWERED 60 s); then a late leg of .19 (line 4,
  ANSWERED 60 s) and a new call 1767774000.22 (ANSWERED 90 s).
- `freeswitch-latin1.csv`, `mod_cdr_csv`'s default template, Latin-1 caller names:
  a1b2c3d4-0001 answered 100 s, a1b2c3d4-0002 NO_ANSWER.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.core.config import Config
from gateway.tools import commands
from gateway.tools.importers import csvline
from gateway.tools.importers.command import run_import
from gateway.tools.importers.lines import Line, LineRejected

FIXTURES = Path(__file__).parent / "fixtures" / "import"
COMMAND_TIMEOUT_S = 30
JAN5 = {"from": 1767571200, "till": 1767657599}  # 2026-01-05, whole UTC day
JAN5_10H = {"from": 1767607200, "till": 1767610799}  # 10:00 to 10:59:59: whole buckets
JAN5_10H_RAW = {"from": 1767607200, "till": 1767610798}  # one second short: raw records
JAN5_08H = {"from": 1767600000, "till": 1767603599}  # 08:00 to 08:59:59
JAN6 = {"from": 1767657600, "till": 1767743999}
JAN7 = {"from": 1767744000, "till": 1767830399}
FEB2 = {"from": 1770000000, "till": 1770076799}  # 2026-02-02
FIGURES = ("total_calls", "answered_calls", "asr", "billsec", "acd")
ZERO = (0, 0, "0.00", 0, "0.00")
LAYOUT_19 = " (layout: cdr_csv Master.csv, 19 columns; try --layout custom or --columns)"


def copy(tmp_path: Path, fixture: str, name: str = "Master.csv") -> str:
    path = tmp_path / name
    path.write_bytes((FIXTURES / fixture).read_bytes())
    return str(path)


def run(capsys: pytest.CaptureFixture[str], config: Config, fmt: str, path: str,
        **options: Any) -> tuple[int, str, str]:
    code = run_import(config, fmt, path, **options)
    out, err = capsys.readouterr()
    return code, out, err


def aggregate(config: Config, span: dict[str, int], **flags: Any) -> Any:
    return asyncio.run(commands.call_as_root(config, "aggregate_get", {**span, **flags}))


def totals(config: Config, span: dict[str, int]) -> tuple[Any, ...]:
    figures = aggregate(config, span)["totals"]
    return tuple(str(figures[f]) if f in ("asr", "acd") else figures[f] for f in FIGURES)


def history(config: Config, day: str, **more: Any) -> list[dict[str, Any]]:
    answer = asyncio.run(commands.call_as_root(config, "GetCallHistory", {
        "from_date": f"{day} 00:00:00", "to_date": f"{day} 23:59:59", "with_calls": True,
        **more}))
    return list(answer["result"])


def calls(session: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(c["incoming"], c["local_number"], c["remote_number"], c["successful"],
             c["end_reason"]["description"], c["duration"]) for c in session["calls"]]


# --- 8-bit fields ---------------------------------------------------------------------------

def raw_line(raw: bytes) -> Line:
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return Line(1, raw, text)


@pytest.mark.parametrize(("raw", "encoding", "fields"), [
    (b'"Jos\xe9","1001"', "iso8859-1", ["José", "1001"]),
    # each field on its own: a UTF-8 field stays UTF-8 beside a Latin-1 one
    (b'"Jos\xc3\xa9","Zo\xeb"', "iso8859-1", ["José", "Zoë"]),
    (b'"\xcf\xe5\xf2\xf0","a,b"', "cp1251", ["Петр", "a,b"]),
    # a byte cp1252 does not define: U+FFFD, not a refusal
    (b'"a\x81b","x"', "cp1252", ["a\ufffdb", "x"]),
    # quotes and commas found on the bytes: a doubled quote beside an 8-bit byte
    (b'"say ""\xe9""",2', "iso8859-1", ['say "é"', "2"]),
])
def test_fields_that_are_not_utf8(raw: bytes, encoding: str, fields: list[str]) -> None:
    assert csvline.fields(raw_line(raw), (2,), encoding) == fields


def test_an_8bit_line_of_the_wrong_width_is_still_refused() -> None:
    with pytest.raises(LineRejected, match="^1 columns, expected 2 \\(x\\)$"):
        csvline.fields(raw_line(b'"Jos\xe9"'), (2,), "iso8859-1", " (x)")


@pytest.mark.parametrize(("name", "canonical"), [
    ("latin-1", "iso8859-1"), ("latin1", "iso8859-1"), ("CP1251", "cp1251"),
    ("windows-1252", "cp1252"), ("koi8_r", "koi8-r")])
def test_encoding_names(name: str, canonical: str) -> None:
    assert csvline.encoding_named(name) == canonical


# --- sequential failover, 8-bit text -------------------------------------------------------

def test_sequential_failover(config: Config, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "failover.csv")
    assert run(capsys, config, "asterisk-csv", path) == (
        0, "read=6 imported=6 present=0 rejected=0\n", "")
    assert not os.path.exists(path + ".rejects.csv")
    # 3 calls, 2 answered: ASR 66.67; 120 + 0 billed seconds over 2 answered: ACD 60
    assert totals(config, JAN5) == (3, 2, "66.67", 120, "60.00")
    assert totals(config, JAN5_10H_RAW) == (3, 2, "66.67", 120, "60.00")
    sessions = history(config, "2026-01-05")
    assert [(s["start_date"], s["duration"]) for s in sessions] == [
        ("2026-01-05 10:00:00", 145), ("2026-01-05 10:05:00", 23), ("2026-01-05 10:10:00", 2)]
    # the originating leg (incoming), then each line an attempt in sequence order
    assert [calls(s) for s in sessions] == [
        [(True, "301", "1001", True, "ANSWERED", 120),
         (False, "1001", "301", False, "NO ANSWER", 0),
         (False, "1001", "302", True, "ANSWERED", 120)],
        [(True, "301", "1002", False, "CONGESTION", 0),
         (False, "1002", "301", False, "BUSY", 0),
         (False, "1002", "302", False, "NO ANSWER", 0),
         (False, "1002", "303", False, "CONGESTION", 0)],
        [(True, "304", "1003", True, "ANSWERED", 0),
         (False, "1003", "304", True, "ANSWERED", 0)]]
    attempts = [c for s in sessions for c in s["calls"] if not c["incoming"]]
    assert len(attempts) == 6
    assert not [c for s in sessions for c in s["calls"]
                if c["successful"] and c["end_reason"]["description"] != "ANSWERED"]


def test_latin1_account_code_and_encoding_option(config: Config, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`Soci\\xe9t\\xe9`: Latin-1 by default (Société); with --encoding cp1251 byte 0xe9 is
    the Cyrillic й (a second store: the options differ)."""
    path = copy(tmp_path, "failover.csv")
    assert run(capsys, config, "asterisk-csv", path)[0] == 0
    devices = sorted((r["device_name"], r["total_calls"], r["billsec"])
                     for r in aggregate(config, JAN5, group_by_device=1)["aggregates"])
    assert devices == [("Société", 1, 0), ("acc1", 2, 120)]
    assert run(capsys, config, "asterisk-csv", path, encoding="cp1251", replace=True) == (
        0, "read=6 imported=6 present=0 rejected=0\n", "")
    devices = sorted((r["device_name"], r["total_calls"], r["billsec"])
                     for r in aggregate(config, JAN5, group_by_device=1)["aggregates"])
    assert devices == [("Sociйtй", 1, 0), ("acc1", 2, 120)]


# --- layouts --------------------------------------------------------------------------------

def test_cdr_custom_layout(config: Config, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "custom.csv")
    assert run(capsys, config, "asterisk-csv", path, layout="custom") == (
        0, "read=3 imported=3 present=0 rejected=0\n", "")
    # 2 calls, both answered: 45 + 30 = 75 s, ACD 37.50
    assert totals(config, JAN6) == (2, 2, "100.00", 75, "37.50")
    assert [calls(s) for s in history(config, "2026-01-06")] == [
        [(True, "401", "2001", True, "ANSWERED", 45),
         (False, "2001", "401", False, "NO ANSWER", 0),
         (False, "2001", "402", True, "ANSWERED", 45)],
        [(True, "403", "2002", True, "ANSWERED", 30),
         (False, "2002", "403", True, "ANSWERED", 30)]]


def test_explicit_columns_read_as_the_layout_does(config: Config, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "custom.csv")
    columns = ("clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,start,answer,end,"
               "duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,sequence")
    assert run(capsys, config, "asterisk-csv", path, columns=columns)[:2] == (
        0, "read=3 imported=3 present=0 rejected=0\n")
    assert totals(config, JAN6) == (2, 2, "100.00", 75, "37.50")


def test_a_custom_file_read_as_cdr_csv_is_rejected_naming_the_layout(
        config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """19 columns fit cdr_csv's `newcdrcolumns` layout, where disposition is the 15th
    column: the custom line's amaflags."""
    path = copy(tmp_path, "custom.csv")
    assert run(capsys, config, "asterisk-csv", path) == (
        1, "read=3 imported=0 present=0 rejected=3\n", "")
    reason = ("disposition: 'DOCUMENTATION' is not one of ANSWERED, NO ANSWER, BUSY, FAILED, "
              "CONGESTION" + LAYOUT_19)
    with open(path + ".rejects.csv", newline="", encoding="utf-8") as file:
        rejects = list(csv.reader(file))
    assert [row[:2] for row in rejects] == [
        ["line", "reason"], ["1", reason], ["2", reason], ["3", reason]]
    assert totals(config, JAN6) == ZERO


@pytest.mark.parametrize(("options", "message"), [
    ({"columns": "start,end,billsec,nonsense"},
     "gateway: --columns: unknown column 'nonsense' (one of accountcode, amaflags, answer, "
     "billsec, channel, clid, dcontext, disposition, dst, dstchannel, duration, end, lastapp, "
     "lastdata, linkedid, peeraccount, sequence, src, start, uniqueid, userfield)\n"),
    ({"columns": "start,end,billsec,start,disposition"},
     "gateway: --columns: 'start' named twice\n"),
    ({"columns": "start,end,disposition"}, "gateway: --columns: 'billsec' is required\n"),
    ({"encoding": "klingon"},
     "gateway: unknown encoding 'klingon' (a Python codec name such as latin-1, cp1252 or "
     "cp1251)\n"),
    ({"encoding": "utf-16"},
     "gateway: encoding 'utf-16' is not an 8-bit encoding that keeps ASCII as it is (such as "
     "latin-1, cp1252 or cp1251)\n"),
])
def test_bad_options_exit_2(config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            options: dict[str, Any], message: str) -> None:
    path = copy(tmp_path, "custom.csv")
    assert run(capsys, config, "asterisk-csv", path, **options) == (2, "", message)
    assert not os.path.exists(path + ".rejects.csv")


def test_layout_options_are_asterisk_only(config: Config, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "freeswitch-latin1.csv")
    assert run(capsys, config, "freeswitch-csv", path, layout="custom") == (
        2, "", "gateway: --layout and --columns apply to asterisk-csv only\n")


# --- a file that grows ----------------------------------------------------------------------

def test_a_grown_file_imports_only_its_new_lines(config: Config, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "grown-1.csv")
    assert run(capsys, config, "asterisk-csv", path) == (
        0, "read=3 imported=3 present=0 rejected=0\n", "")
    # .16 answered 60 s, .19 answered 60 s
    assert totals(config, JAN7) == (2, 2, "100.00", 120, "60.00")
    copy(tmp_path, "grown-2.csv")
    # lines 1-3 present; line 4 a late leg of .19 (ended, stored by the first run); line 5
    # a new call of 90 s
    assert run(capsys, config, "asterisk-csv", path) == (
        0, "read=5 imported=1 present=3 rejected=1\n", "")
    rejects = Path(path + ".rejects.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2
    assert rejects[1].startswith("4,late leg of an ended session: 1767773400.19 was stored "
                                 "by import ")
    # the late leg changes nothing: .19 keeps 60 s; 60 + 60 + 90 = 210 s over 3 calls
    assert totals(config, JAN7) == (3, 3, "100.00", 210, "70.00")
    assert [len(s["calls"]) for s in history(config, "2026-01-07")] == [3, 2, 2]
    assert run(capsys, config, "asterisk-csv", path) == (
        0, "read=5 imported=0 present=4 rejected=1\n", "")
    assert totals(config, JAN7) == (3, 3, "100.00", 210, "70.00")


def test_a_late_leg_alone_is_rejected(config: Config, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A rotated file holding only the late line of .19 (line 4 of grown-2.csv)."""
    assert run(capsys, config, "asterisk-csv", copy(tmp_path, "grown-1.csv"))[0] == 0
    late = (FIXTURES / "grown-2.csv").read_bytes().splitlines()[3]
    path = tmp_path / "Master.csv.1"
    path.write_bytes(late + b"\n")
    code, out, _ = run(capsys, config, "asterisk-csv", str(path))
    assert (code, out) == (1, "read=1 imported=0 present=0 rejected=1\n")
    assert totals(config, JAN7) == (2, 2, "100.00", 120, "60.00")


# --- another tenant or zone: refused, or replaced -------------------------------------------

REFUSAL = re.compile(
    r"gateway: Master\.csv: its lines were imported with other options by import (\d+) "
    r"\(Master\.csv, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: --tenant root --timezone UTC "
    r"--encoding iso8859-1 --layout cdr_csv\); this import has (.*)\. Import it with the "
    r"same options, or add --replace to delete that import's calls and store them again\n")


@pytest.mark.parametrize(("options", "changed"), [
    ({"tenant": "acme"}, "--tenant acme"),
    ({"timezone": "Europe/Vilnius"}, "--timezone Europe/Vilnius"),
    ({"equipment": "pbx1"}, "--equipment pbx1"),
    ({"encoding": "cp1252"}, "--encoding cp1252"),
])
def test_importing_again_with_other_options_is_refused(
        config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        options: dict[str, Any], changed: str) -> None:
    asyncio.run(commands.call_as_root(config, "tenants.create",
                                      {"name": "acme", "parent": "root"}))
    path = copy(tmp_path, "failover.csv")
    assert run(capsys, config, "asterisk-csv", path)[0] == 0
    code, out, err = run(capsys, config, "asterisk-csv", path, **options)
    assert (code, out) == (1, "")
    found = REFUSAL.fullmatch(err)
    assert found is not None, err
    assert found.group(2) == changed
    assert not os.path.exists(path + ".rejects.csv")
    assert totals(config, JAN5) == (3, 2, "66.67", 120, "60.00")  # nothing stored twice


def test_replace_with_another_zone_moves_the_calls_in_the_summaries(
        config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Europe/Vilnius is UTC+2 in January: 10:00 local is 08:00 UTC. Whole buckets are
    answered from the summaries, a range one second short from the raw records: both
    must see the calls leave 10:00 UTC and arrive at 08:00 UTC, once."""
    path = copy(tmp_path, "failover.csv")
    assert run(capsys, config, "asterisk-csv", path)[0] == 0
    failover = (3, 2, "66.67", 120, "60.00")
    assert totals(config, JAN5_10H) == failover
    assert run(capsys, config, "asterisk-csv", path, timezone="Europe/Vilnius",
               replace=True) == (0, "read=6 imported=6 present=0 rejected=0\n", "")
    assert totals(config, JAN5_10H) == ZERO
    assert totals(config, JAN5_10H_RAW) == ZERO
    assert totals(config, JAN5_08H) == failover
    assert totals(config, JAN5) == failover
    assert [s["start_date"] for s in history(config, "2026-01-05")] == [
        "2026-01-05 08:00:00", "2026-01-05 08:05:00", "2026-01-05 08:10:00"]
    # the replaced import is the one a third run compares with
    assert run(capsys, config, "asterisk-csv", path, timezone="Europe/Vilnius") == (
        0, "read=6 imported=0 present=6 rejected=0\n", "")


def test_replace_with_another_tenant(config: Config, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    acme = asyncio.run(commands.call_as_root(config, "tenants.create",
                                             {"name": "acme", "parent": "root"}))
    path = copy(tmp_path, "failover.csv")
    assert run(capsys, config, "asterisk-csv", path)[0] == 0
    assert {s["account_id"] for s in history(config, "2026-01-05")} == {1}
    assert run(capsys, config, "asterisk-csv", path, tenant="acme", replace=True) == (
        0, "read=6 imported=6 present=0 rejected=0\n", "")
    assert history(config, "2026-01-05") == []  # none left in the root's own history
    sessions = history(config, "2026-01-05", child_account_id=[acme["id"]])
    assert [s["account_id"] for s in sessions] == [acme["id"]] * 3
    assert totals(config, JAN5) == (3, 2, "66.67", 120, "60.00")
    assert totals(config, JAN5_10H_RAW) == (3, 2, "66.67", 120, "60.00")


# --- rejects file and exit status -----------------------------------------------------------

def test_a_clean_run_removes_a_stale_rejects_file(config: Config, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "custom.csv")
    assert run(capsys, config, "asterisk-csv", path)[0] == 1  # every line rejected
    assert os.path.exists(path + ".rejects.csv")
    assert run(capsys, config, "asterisk-csv", path, layout="custom")[0] == 0
    assert not os.path.exists(path + ".rejects.csv")


def test_an_empty_file_exits_0(config: Config, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"")
    assert run(capsys, config, "asterisk-csv", str(path)) == (
        0, "read=0 imported=0 present=0 rejected=0\n", "")
    assert not os.path.exists(str(path) + ".rejects.csv")


def gateway(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env["GATEWAY_DATABASE"] = f"sqlite:///{tmp_path}/cli.db"
    return subprocess.run([sys.executable, "-m", "gateway", "import", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_exit_status_of_the_command(tmp_path: Path) -> None:
    copy(tmp_path, "custom.csv")
    rejected = gateway(tmp_path, "asterisk-csv", "Master.csv")
    assert (rejected.returncode, rejected.stdout, rejected.stderr) == (
        1, "read=3 imported=0 present=0 rejected=3\n", "")
    imported = gateway(tmp_path, "asterisk-csv", "Master.csv", "--layout", "custom")
    assert (imported.returncode, imported.stdout, imported.stderr) == (
        0, "read=3 imported=3 present=0 rejected=0\n", "")
    refused = gateway(tmp_path, "asterisk-csv", "Master.csv", "--columns",
                      "clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,start,answer,"
                      "end,duration,billsec,disposition,amaflags,accountcode,uniqueid,"
                      "userfield,sequence")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.count("\n") == 1 and "by import 1 (Master.csv, " in refused.stderr
    assert "--layout custom); this import has --layout columns:clid," in refused.stderr
    missing = gateway(tmp_path, "asterisk-csv", "nowhere.csv")
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        2, "", "gateway: cannot read nowhere.csv: No such file or directory\n")


def test_a_repeated_line_and_a_pipe(config: Config, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A 17-column line (no sequence: its identity is its content) written twice: one
    session of two identical attempts, remembered once. Read through a pipe (copied to a
    temporary file, for the look-up before storing), the file's lines are present."""
    line = (FIXTURES / "vilnius.csv").read_bytes().splitlines()[1]  # v2: answered 598 s
    path = tmp_path / "Master.csv"
    path.write_bytes(line + b"\n" + line + b"\n")
    assert run(capsys, config, "asterisk-csv", str(path)) == (
        0, "read=2 imported=2 present=0 rejected=0\n", "")
    # both lines ANSWERED: 598 + 598 billed seconds, one call
    assert totals(config, {"from": 1792900800, "till": 1792904399}) == (
        1, 1, "100.00", 1196, "1196.00")  # 2026-10-25 04:00 to 04:59:59 (UTC, as written)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"cat '{path}' > '{fifo}'"])
    try:
        assert run(capsys, config, "asterisk-csv", str(fifo)) == (
            0, "read=2 imported=0 present=2 rejected=0\n", "")
    finally:
        writer.wait(timeout=COMMAND_TIMEOUT_S)


# --- FreeSWITCH -----------------------------------------------------------------------------

def test_freeswitch_latin1_names_and_a_grown_file(config: Config, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = copy(tmp_path, "freeswitch-latin1.csv", "Master.csv")
    assert run(capsys, config, "freeswitch-csv", path) == (
        0, "read=2 imported=2 present=0 rejected=0\n", "")
    # 2 calls, 1 answered for 100 s
    assert totals(config, FEB2) == (2, 1, "50.00", 100, "100.00")
    assert [calls(s) for s in history(config, "2026-02-02")] == [
        [(True, "442071234567", "1001", True, "ANSWERED", 100),
         (False, "1001", "442071234567", True, "ANSWERED", 100)],
        [(True, "442071234568", "1002", False, "NO ANSWER", 0),
         (False, "1002", "442071234568", False, "NO ANSWER", 0)]]
    with open(path, "ab") as file:  # the switch writes one more call: 60 s answered
        file.write(b'"J\xfcrgen","1003","4930123","default","2026-02-02 09:10:00",'
                   b'"2026-02-02 09:10:02","2026-02-02 09:11:02","62","60","NORMAL_CLEARING",'
                   b'"a1b2c3d4-0003","","acc1","PCMA","PCMA"\n')
    assert run(capsys, config, "freeswitch-csv", path) == (
        0, "read=3 imported=1 present=2 rejected=0\n", "")
    assert totals(config, FEB2) == (3, 2, "66.67", 160, "80.00")
    code, out, err = run(capsys, config, "freeswitch-csv", path, timezone="Europe/Berlin")
    assert (code, out) == (1, "")
    assert "this import has --timezone Europe/Berlin." in err and err.count("\n") == 1
