"""Browser fixtures: the app served on a real port, Debian's Chromium driven by Playwright, phone-sized."""

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LIBRARY = Path(__file__).resolve().parents[2] / "courses"
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


class QuietHandler(WSGIRequestHandler):
    """No access log line per request: with -s the page-weight figures stay readable."""

    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def live_server(app):
    """The test app on 127.0.0.1:<free port> in a thread, against the same test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
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


def new_phone_page(browser, folder: Path, javascript: bool = True, prefix: str = ""):
    """A page in a new phone-sized context in Spanish (es-PE), with `page.shot(name)` saving to `folder`."""
    context = browser.new_context(viewport=PHONE, locale="es-PE", device_scale_factor=1, is_mobile=True,
                                  has_touch=True, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.shot = lambda name: page.screenshot(path=str(folder / f"{prefix}{name}.png"), full_page=True)
    return page


@pytest.fixture
def shots(request) -> Path:
    """tests/screenshots/<test>/, emptied first so it holds this run's screenshots only."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def phone(browser, request, shots):
    """A fresh phone-sized page in Spanish (es-PE); screenshots go to tests/screenshots/<test>/."""
    page = new_phone_page(browser, shots, getattr(request, "param", True))
    yield page
    page.context.close()


@pytest.fixture
def open_phone(browser, shots):
    """Factory: open_phone(actor) -> another phone (own context, one per actor); shots named <actor>-<name>."""
    pages = []

    def make(actor: str, javascript: bool = True):
        pages.append(new_phone_page(browser, shots, javascript, prefix=f"{actor}-"))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


@pytest.fixture
def library(app, tmp_path):
    """The network's course library (courses/), imported and published: real lessons, quizzes and covers."""
    from lms.courses.importer import import_courses
    from lms.extensions import db

    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    with app.app_context():
        import_courses(LIBRARY, publish=True)
        db.session.commit()


@pytest.fixture
def enrol(app):
    """Factory: enrol(user, course) enrols a learner the way a trainer does (method «trainer»)."""
    from lms.courses.models import Course
    from lms.extensions import db
    from lms.learning.enrolling import enrol as enrol_learner
    from lms.learning.models import EnrolmentMethod

    def make(user, course) -> int:
        with app.app_context():
            enrolment, _new = enrol_learner(user.id, db.session.get(Course, course.id), EnrolmentMethod.TRAINER)
            db.session.commit()
            return enrolment.id

    return make


@dataclass
class Transfer:
    """Bytes on the wire (compressed, with headers) and requests of one cold page load."""

    bytes: int = 0
    requests: int = 0
    urls: list = field(default_factory=list)
    sizes: dict = field(default_factory=dict)  # url -> bytes on the wire

    def bytes_of(self, keep) -> int:
        """Bytes of the responses whose URL `keep(url)` accepts."""
        return sum(size for url, size in self.sizes.items() if keep(url))


def measure_cold_load(browser, url: str, storage_state=None) -> Transfer:
    """Load `url` in a new context with an empty cache and count what crossed the network."""
    context = browser.new_context(viewport=PHONE, locale="es-PE", storage_state=storage_state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    transfer = Transfer()

    urls = {}

    def sent(event):
        urls[event["requestId"]] = event["request"]["url"]
        transfer.urls.append(event["request"]["url"])

    def finished(event):
        transfer.bytes += int(event["encodedDataLength"])
        transfer.requests += 1
        url = urls.get(event["requestId"], "?")
        transfer.sizes[url] = transfer.sizes.get(url, 0) + int(event["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestWillBeSent", sent)
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
    """Sign in through the form and wait until she is in (the next page loaded)."""
    page.goto(f"{base}/login")
    page.get_by_label("Usuario o celular").fill(username)
    page.get_by_label("PIN o contraseña").fill(secret)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: not url.startswith(f"{base}/login"))


def signed_in_state(browser, base: str, user) -> dict:
    """Playwright storage_state (the session cookie) of `user` signed in, for cold loads of her pages."""
    context = browser.new_context(viewport=PHONE, locale="es-PE")
    page = context.new_page()
    sign_in(page, base, user.username, user.password)
    state = context.storage_state()
    context.close()
    return state
