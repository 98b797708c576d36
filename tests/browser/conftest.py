"""Browser fixtures: the app served on a real port, Debian's Chromium driven by Playwright, phone-sized."""

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PHONE = {"width": 360, "height": 740}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium); CI installs it")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture
def live_server(app):
    """The test app on 127.0.0.1:<free port> in a thread, against the same test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, request):
    """A fresh phone-sized page in Spanish (es-PE); screenshots go to tests/screenshots/<test>/."""
    context = browser.new_context(viewport=PHONE, locale="es-PE", device_scale_factor=1, is_mobile=True,
                                  has_touch=True, java_script_enabled=getattr(request, "param", True))
    page = context.new_page()
    page.set_default_timeout(10_000)
    folder = SCREENSHOTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    page.shot = lambda name: page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    yield page
    context.close()


@dataclass
class Transfer:
    """Bytes on the wire (compressed, with headers) and requests of one cold page load."""

    bytes: int = 0
    requests: int = 0
    urls: list = field(default_factory=list)


def measure_cold_load(browser, url: str, storage_state=None) -> Transfer:
    """Load `url` in a new context with an empty cache and count what crossed the network."""
    context = browser.new_context(viewport=PHONE, locale="es-PE", storage_state=storage_state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    transfer = Transfer()

    def finished(event):
        transfer.bytes += int(event["encodedDataLength"])
        transfer.requests += 1

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestWillBeSent", lambda event: transfer.urls.append(event["request"]["url"]))
    page.goto(url, wait_until="networkidle")
    context.close()
    return transfer


def run_axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the current page."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm install --prefix tests/browser); CI installs it")
    page.evaluate(AXE.read_text(encoding="utf-8"))  # evaluated by the driver: the page's CSP stays strict
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations) -> str:
    return json.dumps([{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in violations],
                      ensure_ascii=False)


def sign_in(page, base: str, username: str, secret: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Usuario o celular").fill(username)
    page.get_by_label("PIN o contraseña").fill(secret)
    page.get_by_role("button", name="Entrar").click()
