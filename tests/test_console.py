"""The operator console (`/console`, docs/console.md) in a real headless Chromium: Debian's
`chromium` driven by Playwright (its executable path, no browser of Playwright's own),
against `gateway serve` on an anchored demo store. One store, one gateway and one browser
serve every test of this module.

A screenshot of each view is saved under test-artifacts/console/ (or
$GATEWAY_TEST_ARTIFACTS/console/); the run prints the folder at its end."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest
from conftest import missing_tool
from gateway_process import Gateway

from gateway.web import console as console_package

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the `test` extra pins it; without it every test here is missing a tool
    sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("GATEWAY_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("GATEWAY_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "console"
ANCHOR = "2026-11-30T12:00:00Z"
CALLS = 5000  # enough calls for every hour of the day below to hold a few (about 6 s)
DAY = "2026-11-26"  # a whole day inside the demo's 30 days before the anchor
KEY_LINE = re.compile(r"^(\w+) key: ([0-9a-f]{16}\.\S+)$", re.M)
ZONES = {"admin": "UTC", "reseller": "Europe/Vilnius", "customer": "Europe/Vilnius"}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWS = ("live", "hours", "destinations", "exports", "explorer")
WAIT_MS = 15_000
# Requests to the gateway under test never go through a proxy of the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Served:
    base: str
    keys: dict[str, str]

    def post(self, body: Any, role: str) -> Any:
        request = urllib.request.Request(
            f"{self.base}/rpc", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Api-Key": self.keys[role]})
        with OPENER.open(request, timeout=30) as answer:
            return json.load(answer, parse_float=Decimal)

    def rpc(self, role: str, method: str, params: Any) -> Any:
        answer = self.post({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}, role)
        assert "result" in answer, answer
        return answer["result"]

    def results(self, role: str, method: str, params: list[dict[str, Any]]) -> list[Any]:
        """One batch of calls of `method`; their results in the order of `params`."""
        answers = self.post([{"jsonrpc": "2.0", "method": method, "params": p, "id": i}
                             for i, p in enumerate(params)], role)
        assert all("result" in a for a in answers), answers
        return [a["result"] for a in sorted(answers, key=lambda a: a["id"])]


class _ArtifactsNote:
    """Prints where the screenshots are, at the end of the run."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(f"console screenshots: {ARTIFACTS}")


def start(gateway: Gateway, within_s: float = 20) -> None:
    """`gateway serve`, once it answers its health check. (Synchronous: Playwright's sync
    API holds this thread's event loop.)"""
    gateway.process = subprocess.Popen([sys.executable, "-m", "gateway", "serve"],
                                       env=gateway.env, cwd=gateway.cwd,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert gateway.process.poll() is None, "the gateway exited"
        try:
            with OPENER.open(f"http://127.0.0.1:{gateway.port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the gateway did not start")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("console")
    gateway = Gateway(folder, f"sqlite:///{folder}/gateway.db")
    gateway.env["GATEWAY_EXPORTS__FOLDER"] = str(folder / "exports")
    printed = gateway.cli("demo", "--calls", str(CALLS), "--anchor", ANCHOR)
    keys = dict(KEY_LINE.findall(printed))
    start(gateway)
    try:
        yield Served(f"http://127.0.0.1:{gateway.port}", keys)
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    if sync_playwright is None:
        missing_tool("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        missing_tool(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    plugins = request.config.pluginmanager
    if not plugins.has_plugin("console-artifacts"):
        plugins.register(_ArtifactsNote(), "console-artifacts")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


class Console:
    """One tab of the console, signed in with a role's key; `errors` collects the console's
    errors and the page's uncaught exceptions."""

    def __init__(self, browser: Browser, served: Served, role: str,
                 viewport: dict[str, int] = DESKTOP) -> None:
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(f"{served.base}/console#live")
        self.page.fill("#key", served.keys[role])
        self.page.press("#key", "Enter")
        self.page.wait_for_selector("body[data-role]", timeout=WAIT_MS)

    def open(self, view: str, day: str | None = None) -> None:
        self.page.click(f"[data-nav={view}]")
        if day is not None:
            self.page.fill("#day", day)
            self.page.click("#day-form button[type=submit]")
        self.ready(view)

    def ready(self, view: str) -> None:
        self.page.wait_for_selector(f"[data-view={view}][data-state=ready]", timeout=WAIT_MS)

    def charts(self) -> dict[str, dict[str, Any]]:
        """Each chart's numbers as drawn: {name: {hour label: value}}."""
        found = self.page.eval_on_selector_all(
            "[data-chart]", "els => els.map(e => [e.dataset.chart, e.dataset.points])")
        return {name: dict(json.loads(points)) for name, points in found}

    def bar_pixels(self, chart: str) -> int:
        """Pixels of the bars' colour on a chart's canvas."""
        return int(self.page.eval_on_selector(f"[data-chart={chart}] canvas", """c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
              if (d[i + 3] && Math.abs(d[i] - 29) < 4 && Math.abs(d[i + 1] - 79) < 4
                  && Math.abs(d[i + 2] - 145) < 4) n++;
            }
            return n; }"""))

    def shot(self, name: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser: Browser, served: Served) -> Iterator[Any]:
    opened: list[Console] = []

    def open_as(role: str, viewport: dict[str, int] = DESKTOP) -> Console:
        opened.append(Console(browser, served, role, viewport))
        return opened[-1]
    yield open_as
    for tab in opened:
        tab.close()


def hour_window(label: str, zone: str) -> tuple[int, int]:
    """aggregate_get's inclusive `from` and `till` of one local hour ("YYYY-MM-DD HH:00")."""
    start = dt.datetime.strptime(label, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone))
    return int(start.timestamp()), int(start.timestamp()) + 3599


def half_even(value: Fraction) -> float:
    """A ratio as the gateway writes it: 2 decimals, half-even."""
    whole, rest = divmod(value * 100, 1)
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return int(whole) / 100


def number(value: Any) -> Any:
    """A figure of an answer (exact) as the page's script holds it (a JSON number)."""
    return float(value) if isinstance(value, Decimal) else value


# --- the files, served by the app itself (no browser) --------------------------------------

FOLDER = ROOT / "gateway" / "web" / "console"
LOADED = re.compile(r'(?:src|href)="/console/([^"]+)"|from \'(\.{1,2}/[^\']+)\'')


def test_the_console_files_are_the_ones_listed() -> None:
    """Every file of the folder is served (the LICENSE too), and every file the page
    loads, from its HTML or an import, is one of them."""
    shipped = {str(p.relative_to(FOLDER)) for p in FOLDER.rglob("*")
               if p.is_file() and p.suffix in (".html", ".css", ".js", "")}
    assert shipped == set(console_package.FILES)
    loaded = set()
    for name in console_package.FILES:
        if name.endswith((".html", ".js")) and not name.startswith("vendor/"):
            text = (FOLDER / name).read_text(encoding="utf-8")
            base = Path(name).parent
            for html, imported in LOADED.findall(text):
                loaded.add(html or os.path.normpath(base / imported))
    assert loaded == set(console_package.FILES) - {console_package.INDEX, "vendor/LICENSE"}


def test_the_docs_show_a_picture_of_each_view() -> None:
    text = (ROOT / "docs" / "console.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]+\]\((console/[\w-]+\.png)\)", text)
    assert {f"console/{view}.png" for view in VIEWS} <= set(pictures)
    for picture in pictures:
        assert (ROOT / "docs" / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
async def test_the_page_and_its_files_are_served_with_a_strict_policy(client) -> None:
    page = await client.get("/console")
    assert page.status == 200 and page.content_type == "text/html"
    assert page.headers["Content-Security-Policy"] == console_package.POLICY
    assert "script-src 'self';" in console_package.POLICY and "unsafe" not in console_package.POLICY
    text = await page.text()
    assert "<script>" not in text and not re.search(r"\s(on\w+|style)=", text)
    for name, content_type in console_package.FILES.items():
        answer = await client.get(f"/console/{name}")
        assert (answer.status, answer.content_type) == (200, content_type), name
        assert await answer.read() == (FOLDER / name).read_bytes()
    for name in ("../__init__.py", "__init__.py", "vendor/README.md", "nothing.js"):
        assert (await client.get(f"/console/{name}")).status == 404, name


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_view_loads_without_console_errors(console, served, size) -> None:
    tab = console("admin", DESKTOP if size == "desktop" else PHONE)
    for view in VIEWS:
        tab.open(view, DAY if view in ("hours", "destinations") else None)
        assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), view
        tab.shot(f"{size}-{view}")
    tab.open("live")
    (live,) = served.rpc("admin", "reports.active_sessions.query", {"return_fields": ["quantity"]})
    assert live["quantity"] > 0
    assert tab.page.inner_text("[data-figure=quantity] .value") == str(live["quantity"])
    assert tab.errors == []


# The contrast of each kind of text with the background it is drawn on (WCAG 2's formula).
CONTRAST = """selectors => selectors.map(selector => {
  const rgb = text => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => [r, g, b].map(c => c / 255)
    .map(c => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const node = document.querySelector(selector);
  let back = node;
  while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const [fore, behind] = [getComputedStyle(node).color,
                          back ? getComputedStyle(back).backgroundColor : 'rgb(255, 255, 255)'];
  const [light, dark] = [luminance(rgb(fore)), luminance(rgb(behind))].sort((a, b) => b - a);
  return [selector, (light + 0.05) / (dark + 0.05)];
})"""
TEXTS = ("h1", "#who", "nav a[aria-current]", "nav a:not([aria-current])",
         "#key-form button[type=submit]", "#forget", "#live-updated", "th", "td")


def test_text_is_readable_on_its_background(console) -> None:
    """At least 7:1 (WCAG AAA for body text) for every kind of text of a view."""
    tab = console("admin")
    tab.ready("live")
    for selector, ratio in tab.page.evaluate(CONTRAST, list(TEXTS)):
        assert ratio >= 7, selector


FIGURES = {"attempts": "total_calls", "asr": "asr", "acd": "acd", "price": "price",
           "cost": "cost"}


@pytest.mark.parametrize("role", ["admin", "reseller"])
def test_charts_equal_aggregate_get_hour_by_hour(console, served, role) -> None:
    """The page asks once for the day grouped by hour; the test asks for each hour alone."""
    tab = console(role)
    tab.open("hours", DAY)
    charts = tab.charts()
    labels = [f"{DAY} {hour:02}:00" for hour in range(24)]
    assert sorted(charts) == sorted(FIGURES)
    assert all(list(points) == labels for points in charts.values())
    windows = [hour_window(label, ZONES[role]) for label in labels]
    totals = [answer["totals"] for answer in served.results(role, "aggregate_get", [
        {"from": start, "till": end, "timezone": ZONES[role], "a_currency": "USD"}
        for start, end in windows])]
    for chart, figure in FIGURES.items():
        assert [charts[chart][label] for label in labels] == [number(t[figure]) for t in totals]
        drawn = any(value > 0 for value in charts[chart].values())
        assert (tab.bar_pixels(chart) > 0) == drawn, chart
    assert sum(charts["attempts"].values()) >= 24 and any(charts["cost"].values())
    assert "Cost (USD)" in tab.page.text_content("main")
    tab.shot(f"{role}-hours")
    assert tab.errors == []


def call_history_hour(served: Served, label: str) -> dict[str, Any]:
    """One local hour's figures counted from the customer's call history, as
    docs/console.md defines them: call sessions (not video), answered when a call was,
    billed seconds and price of the first (originating) call."""
    day, time = label.split(" ")
    page = served.rpc("customer", "GetCallHistory", {
        "from_date": f"{day} {time[:2]}:00:00", "to_date": f"{day} {time[:2]}:59:59",
        "timezone": "auto", "child_account_id": "all", "with_calls": True, "count": 1000})
    assert page["total_count"] == len(page["result"])
    sessions = [s for s in page["result"]
                if not all(c["remote_number_type"] == "user" for c in s["calls"])]
    answered = sum(1 for s in sessions if any(c["successful"] for c in s["calls"]))
    billsec = sum(s["calls"][0]["duration"] for s in sessions)
    price = sum((s["calls"][0].get("cost") or Decimal(0) for s in sessions), Decimal(0))
    return {"attempts": len(sessions),
            "asr": half_even(Fraction(answered * 100, len(sessions))) if sessions else 0,
            "acd": half_even(Fraction(billsec, answered)) if answered else 0,
            "price": float(price)}


def test_customer_charts_equal_call_history_and_show_no_carrier_cost(console, served) -> None:
    tab = console("customer")
    tab.open("hours", DAY)
    charts = tab.charts()
    assert sorted(charts) == ["acd", "asr", "attempts", "price"]
    labels = [f"{DAY} {hour:02}:00" for hour in range(24)]
    for label in labels:
        expected = call_history_hour(served, label)
        assert {chart: charts[chart][label] for chart in charts} == expected, label
    assert sum(charts["attempts"].values()) > 0 and any(charts["price"].values())
    for chart in charts:
        assert tab.bar_pixels(chart) > 0, chart
    tab.shot("customer-hours")
    for view in ("live", "hours", "destinations", "exports"):
        tab.open(view, DAY if view == "hours" else None)
        assert "cost" not in tab.page.text_content("main").lower(), view
    tab.open("live")
    carriers = tab.page.eval_on_selector_all(
        "#live-longest tbody tr", "rows => rows.map(r => r.cells[3].textContent)")
    assert carriers and set(carriers) == {"hidden"}
    tab.shot("customer-live")
    assert tab.errors == []


def test_explorer_call_shows_the_answer_and_its_request_id(console, served) -> None:
    tab = console("admin")
    tab.open("explorer")
    tab.page.select_option("#method", "GetCallHistory")
    tab.page.click("#examples button >> nth=0")
    request = json.loads(tab.page.input_value("#request"))
    assert request["method"] == "GetCallHistory" and request["params"]
    with tab.page.expect_response(lambda r: r.url.endswith("/rpc")) as sent:
        tab.page.click("#send")
    tab.page.wait_for_selector("#answer[data-status='200']", timeout=WAIT_MS)
    shown = json.loads(tab.page.inner_text("#answer"), parse_float=Decimal)
    assert shown == served.post(request, "admin")
    assert "result" in shown
    request_id = sent.value.headers["x-request-id"]
    assert request_id and tab.page.inner_text("#request-id") == request_id
    tab.shot("explorer", full_page=False)
    assert tab.errors == []


def test_an_export_job_is_listed_and_its_file_downloads(console, served) -> None:
    tab = console("customer")
    tab.open("exports", DAY)
    tab.page.click("#export-day")
    button = tab.page.wait_for_selector("[data-download]", timeout=30_000)
    job = int(button.get_attribute("data-download") or 0)
    with tab.page.expect_download() as downloading:
        button.click()
    saved = Path(downloading.value.path()).read_bytes()
    request = urllib.request.Request(f"{served.base}/reports/files/{job}",
                                     headers={"X-Api-Key": served.keys["customer"]})
    with OPENER.open(request, timeout=30) as answer:
        assert saved == answer.read()
    day = served.rpc("customer", "GetCallHistory", {
        "from_date": f"{DAY} 00:00:00", "to_date": f"{DAY} 23:59:59", "timezone": "auto",
        "child_account_id": "all", "count": 1})
    assert len(saved.decode().splitlines()) == 1 + day["total_count"]
    assert downloading.value.suggested_filename.endswith(".csv")
    tab.shot("exports")
    assert tab.errors == []


def test_the_key_stays_in_the_tab_and_the_views_work_by_keyboard(console, browser,
                                                                 served) -> None:
    tab = console("accountant")
    assert tab.page.inner_text("#who").startswith("Role accountant, its own tenant")
    stored = tab.page.evaluate("[sessionStorage.length, localStorage.length, document.cookie]")
    assert stored == [1, 0, ""]
    tab.page.evaluate("document.activeElement.blur()")
    for _ in range(12):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("document.activeElement.dataset.nav") == "exports":
            break
    tab.page.keyboard.press("Enter")
    tab.ready("exports")
    assert tab.page.evaluate("location.hash") == "#exports"
    tab.page.reload()
    tab.ready("exports")  # the same tab keeps the key
    other = browser.new_context().new_page()
    other.goto(f"{served.base}/console")
    assert other.inner_text("#who").startswith("Enter a key")
    other.context.close()
    tab.page.click("#forget")
    assert tab.page.evaluate("sessionStorage.length") == 0
    assert tab.errors == []


def test_an_ingest_key_sees_the_explorer_only(console) -> None:
    tab = console("ingest")
    assert tab.page.inner_text("#who").endswith("It may see: the explorer.")
    assert tab.page.get_attribute("[data-view=live]", "data-state") == "idle"
    tab.open("explorer")
    assert tab.page.eval_on_selector_all("#method option", "os => os.length") > 20
    assert tab.errors == []


def test_a_wrong_key_is_refused_and_shows_nothing(browser, served) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.base}/console#hours")
    page.fill("#key", served.keys["admin"].split(".")[0] + ".not-the-secret")
    page.press("#key", "Enter")
    page.wait_for_selector("#who:has-text('This key was refused')", timeout=WAIT_MS)
    assert "Authentication Failed" in page.inner_text("#who")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.get_attribute("[data-view=hours]", "data-state") == "idle"
    assert page.eval_on_selector_all("[data-chart]", "els => els.length") == 0
    context.close()
