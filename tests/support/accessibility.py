"""axe-core, run inside a page the browser tests drive: the serious and critical violations
it finds there, as lines a person can act on.

axe-core comes from npm, pinned in tests/support/axe/package-lock.json and installed by
`make test` (`npm ci` again only when the lock changes). It is injected through WebDriver,
which the pages' Content-Security-Policy does not govern, so the pages keep theirs.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """
var within = arguments[0], done = arguments[arguments.length - 1];
axe.run(within ? document.querySelector(within) : document, {resultTypes: ["violations"]}).then(
  function (result) {
    done(result.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(function (n) { return n.target.join(" ") + ": " + n.failureSummary; })};
    }));
  },
  function (error) { done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]); });
"""


def serious_violations(driver, within: str | None = None) -> list[str]:
    """What axe-core finds serious or critical on the page (or in the element `within`
    selects), one line per rule with the elements it failed on; [] when there is nothing."""
    if not AXE.exists():
        message = "axe-core is not installed: `make test` installs it (or run `npm ci` in tests/support/axe)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    driver.set_script_timeout(60)
    driver.execute_script(AXE.read_text())
    found = driver.execute_async_script(RUN, within)
    return [f"{v['id']} ({v['impact']}): {v['help']}: " + " | ".join(v["nodes"])
            for v in found if v["impact"] in BLOCKING]


def at_both_widths(driver, name: str, within: str | None = None) -> dict[int, list[str]]:
    """The serious violations at a laptop's 1280 px and a phone's 375 px, keyed by width, with
    a screenshot of each (var/screenshots/a11y-NAME-WIDTH.png); the window is left at 375 px."""
    from tests.support.browser import screenshot
    found = {}
    for width, height in ((1280, 1000), (375, 812)):
        driver.set_window_size(width, height)
        found[width] = serious_violations(driver, within)
        screenshot(driver, f"a11y-{name}-{width}")
    return found


def contrast(driver, element) -> float:
    """WCAG's contrast ratio of an element's text on its own opaque background, from the
    computed styles: for what axe-core skips, such as an avatar hidden from screen readers."""
    colours = driver.execute_script("var s = getComputedStyle(arguments[0]); return [s.color, s.backgroundColor];",
                                    element)
    lighter, darker = sorted((_luminance(colour) for colour in colours), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(css: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    red, green, blue = (int(n) for n in re.findall(r"\d+", css)[:3])
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
