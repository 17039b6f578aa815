"""The HTML report in a real headless Chromium: the DOM it renders, and screenshots to look at.

Two pages, the legacy example (stage 0) and a freshly generated project (stage 2), are opened
from disk with no network; the assertions read the DOM Chromium dumps after rendering, so a
page that parses differently in a browser than in Python's parser fails here. The screenshots
are kept under `build/screenshots/` (CI keeps them as artifacts; the README names the path).
"""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from prodcheck.commands.new import new_project
from prodcheck.commands.report import readiness_page
from prodcheck.engine import AuditResult
from prodcheck.report.html import case_figures
from tests.real_parts import required_tool
from tests.report.test_html import Element, parse_page

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "build" / "screenshots"
WINDOW = (1280, 2000)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class Page:
    """One report: the audit it shows and the HTML file a browser opens."""

    name: str
    result: AuditResult
    path: Path


def _page(name: str, root: Path, out: Path) -> Page:
    """The page `prodcheck report` writes: the audit, and the gate's decision when it can."""
    result, page = readiness_page(root)
    path = out / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return Page(name, result, path)


@pytest.fixture(scope="module", params=["legacy-pilot", "generated-project"])
def page(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Page:
    out = tmp_path_factory.mktemp("html")
    if request.param == "legacy-pilot":
        return _page(request.param, REPO / "examples" / "legacy-pilot", out)
    project = new_project(out / "churn-model", answers={}, defaults=True, quiet=True)
    return _page(request.param, project, out)


def chromium(page: Page, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    binary = required_tool("chromium")
    return subprocess.run(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            *extra,
            page.path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture
def dom(page: Page, tmp_path: Path) -> Element:
    """The DOM Chromium rendered, serialized by `--dump-dom`."""
    return parse_page(chromium(page, tmp_path, "--dump-dom").stdout)


EXPECTED_STAGE = {"legacy-pilot": "0", "generated-project": "2"}


def test_the_rendered_page_shows_the_stage_reached(page: Page, dom: Element) -> None:
    stage = dom.one("section", id="stage")
    assert stage.attrs["data-reached"] == EXPECTED_STAGE[page.name]
    assert stage.attrs["data-reached"] == str(page.result.verdict.reached)
    current = stage.one(aria_current="step")
    assert current.attrs["data-stage"] == EXPECTED_STAGE[page.name]


def test_the_rendered_page_shows_the_audits_counts(page: Page, dom: Element) -> None:
    shown = {name: dom.one(data_count=name).text for name in ("errors", "warnings")}
    assert shown == {
        "errors": str(len(page.result.errors)),
        "warnings": str(len(page.result.warnings)),
    }
    assert dom.one("section", id="findings").attrs["data-count"] == str(len(page.result.findings))


def test_the_rendered_page_shows_what_blocks_the_next_stage_and_its_remedy(
    page: Page, dom: Element
) -> None:
    blockers = page.result.verdict.next_blockers
    assert blockers, "both pages stop short of stage 3"
    listed = dom.one("ul", id="next-blockers")
    assert [li.attrs["data-blocker"] for li in listed.all("li")] == list(blockers)
    finding = dom.one(id="findings").all("li", data_rule=blockers[0])[0]
    remedy = page.result.rule(blockers[0]).remedy.replace("`", "")
    assert finding.one("p", class_="remedy").text == f"Fix: {remedy}"


def test_the_business_case_and_the_gate_decision_are_shown_where_there_is_a_case(
    page: Page, dom: Element
) -> None:
    if page.name != "generated-project":
        assert dom.all(id="business-case") == dom.all(id="gate") == []  # the pilot has no case
        return
    case = dom.one("section", id="business-case")
    assert page.result.snapshot is not None
    figures = case_figures(page.result.snapshot)
    assert figures is not None and figures.economics.roi > 0
    assert case.attrs["data-roi"] == f"{figures.economics.roi:.4f}"
    assert dom.one("section", id="gate").attrs["data-decision"] == "NOT READY"  # no pipeline run
    assert len(case.all("rect", data_bar="value")) == 1
    assert case.all("rect", data_bar="cost")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_screenshot_of_the_page_is_kept(page: Page, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{page.name}.png"
    shot.unlink(missing_ok=True)
    chromium(page, tmp_path, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    data = shot.read_bytes()
    assert png_size(data) == WINDOW
    assert len(data) > 50_000, "a blank page compresses to a few KB; the report does not"
