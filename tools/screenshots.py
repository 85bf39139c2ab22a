"""The console's pictures in the README, taken in Debian's Chromium (Playwright) from a demo
data directory served in demo mode on 127.0.0.1; prints the overview's timings as it goes.

    python tools/screenshots.py --data .nam-demo-shots --out docs/screenshots

(``make screenshots`` makes the demo data and runs this.) The reshuffle is planned for real on
the data it is given: give it a copy."""

from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from graph.stores.memory import MemoryStore
from namgraph.api.app import create_app
from namgraph.api.settings import Settings

CHROMIUM = "/usr/bin/chromium"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "reshuffle-2023-06.csv"
OLD = "2023-05-01"


def serve(data: Path) -> tuple[uvicorn.Server, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(MemoryStore.open(data), Settings(demo=True))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return server, port


def shown(page: Any, route: str) -> None:
    page.goto(f"/#/{route}")
    page.locator(f'main#view[aria-busy="false"][data-route="#/{route}"]').wait_for(timeout=120_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    server, port = serve(args.data)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--lang=vi-VN"]
            )
            context = browser.new_context(
                locale="vi-VN",
                viewport={"width": 1366, "height": 768},
                base_url=f"http://127.0.0.1:{port}",
            )
            page = context.new_page()

            shown(page, f"overview?unit=83&asOf={OLD}")  # warm: the first page of a server
            page.goto("about:blank")
            route = "overview?unit=86"
            page.goto(f"http://127.0.0.1:{port}/#/{route}")
            page.locator("main#view[data-shown=overview]").wait_for()
            page.locator("#trend[aria-busy=false]").wait_for(timeout=120_000)
            timing = page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const mark = (n) => performance.getEntriesByName(n)[0]?.startTime;
                  return [nav.loadEventEnd, mark('namgraph:overview-shown'),
                          mark('namgraph:trend-shown')];
                }"""
            )
            load, numbers, trend = (f"{t:.0f} ms" if t is not None else "-" for t in timing)
            print(
                f"overview of 86 today: load event {load}, numbers shown {numbers}, "
                f"24-month trend {trend} after navigation start"
            )
            page.screenshot(path=args.out / "overview.png", full_page=True)

            shown(page, f"tree?unit=83&asOf={OLD}")
            page.locator('[role="treeitem"][data-code="831"] .toggle').click()
            page.locator('[data-code="831"] [role="group"]').wait_for()
            page.screenshot(path=args.out / "tree.png", full_page=True)

            shown(page, f"reshuffle?unit=83&asOf={OLD}")
            page.locator("#rs-file").set_input_files(str(EXAMPLE))
            page.locator("form.rs-form button[type=submit]").click()
            page.locator("[data-plan]").first.wait_for(timeout=120_000)
            page.screenshot(path=args.out / "reshuffle-preview.png", full_page=True)

            shown(page, f"report?unit=83&asOf={OLD}")
            page.locator(".rp-sheet").first.wait_for()
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
            page.locator(".rp-sheet").first.scroll_into_view_if_needed()
            page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(path=args.out / "report.png")
            page.emulate_media(media="screen")
            browser.close()
    finally:
        server.should_exit = True
    for name in sorted(args.out.glob("*.png")):
        print(f"wrote {name} ({name.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
