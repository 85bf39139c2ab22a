"""Accessibility checks of a page in the browser, by axe-core (``tests/vendor/axe.min.js``,
copied from npm at the version pinned in ``namgraph/api/graphiql/VERSIONS`` by
``make graphiql``; no network).

    assert not serious_violations(page), serious_violations(page)

The script is added to the page as an inline ``<script>``: a page whose Content-Security-Policy
forbids that (GraphiQL's, the console) is to be opened in a context made with
``bypass_csp=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["AXE", "serious_violations"]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = ("serious", "critical")
#: How many of a rule's offending elements a violation names.
TARGETS = 5

RUN = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations;
}"""


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """The rules that the page in a Playwright (sync) ``Page`` breaks with a serious or critical
    impact: each as its id, impact, help and the CSS selectors of its first few elements."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))  # a CSP that blocks it is an error that says so
    violations: list[dict[str, Any]] = page.evaluate(RUN)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"][:TARGETS]],
        }
        for violation in violations
        if violation["impact"] in SERIOUS
    ]
