"""The built website, read in a real browser: headless Chromium (Debian's package) driven by
Playwright, on book/_build/html served from a local HTTP server.

`make site-test` runs it after `make book` (and `make test` runs both). Every page of both
languages is opened; the language switches lead to the same page in the other language;
internal links, anchors included, resolve; figures load; no widget is left as a broken
placeholder; the Colab and download buttons point at the right files; search finds pages in
each language; the solutions stay folded until clicked. Two screenshots are saved in
book/_build/screenshots/ for a person to look at.
"""
from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "book" / "_build" / "html"
SCREENSHOTS = ROOT / "book" / "_build" / "screenshots"
SEARCH_WORDS = {"en": "discriminator", "es": "discriminador"}
CONFIG = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())


def _notebooks_tool():
    spec = importlib.util.spec_from_file_location("book_notebooks", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _notebooks_tool()
LANGUAGES = list(TOOL.LANGUAGES)
PAGES = [(lang, page) for lang in LANGUAGES for page in TOOL._toc_files(TOOL.language_toc(TOOL._load_toc(), lang))]


def other(lang: str) -> str:
    return next(code for code in LANGUAGES if code != lang)


def counterpart(lang: str, page: str) -> str:
    return page.replace(f"/{lang}/", f"/{other(lang)}/")


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(errors="replace"))
    return frozenset(parser.ids)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports what matters
        pass


@pytest.fixture(scope="module")
def site(missing):
    """The base URL of book/_build/html served on 127.0.0.1 (a free port)."""
    if not (HTML / "en" / "index.html").exists() or not (HTML / "index.html").exists():
        missing("the site is not built: run `make book` first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class Visit:
    """A page opened in the browser, with what went wrong while it loaded."""

    def __init__(self, context, url: str) -> None:
        self.page = context.new_page()
        self.failed: list[str] = []
        self.errors: list[str] = []
        local = urlsplit(url).netloc
        self.page.on("response", lambda r: self.failed.append(f"{r.status} {r.url}") if r.status >= 400 and urlsplit(r.url).netloc == local else None)
        self.page.on("requestfailed", lambda r: self.failed.append(f"failed {r.url}") if urlsplit(r.url).netloc == local else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.response = self.page.goto(url, wait_until="load")

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_page(url: str) -> Visit:
        opened.append(Visit(browser, url))
        return opened[-1]

    yield open_page
    for v in opened:
        v.close()


def local_file(url: str, site: str) -> Path:
    rel = unquote(urlsplit(url).path)[len(urlsplit(site).path):]
    path = HTML / rel
    return path / "index.html" if path.is_dir() else path


def check_links(page, site: str) -> int:
    """Every link to the site itself names an existing file, and its #anchor exists there."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    broken, checked = [], 0
    for href in set(hrefs):
        if not href.startswith(site):
            continue
        target = local_file(href.split("#")[0], site)
        fragment = unquote(urlsplit(href).fragment)
        checked += 1
        if not target.is_file():
            broken.append(href)
        elif fragment and target.suffix == ".html" and fragment not in anchors(target):
            broken.append(href)
    assert not broken, f"{page.url}: broken internal links: {sorted(broken)}"
    return checked


def check_figures(page) -> int:
    images = page.eval_on_selector_all("img", "els => els.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    bad = [src for src, complete, width in images if not complete or width == 0]
    assert not bad, f"{page.url}: figures that did not load: {bad}"
    return len(images)


def check_no_widget_placeholders(page) -> None:
    html = page.content()
    assert "application/vnd.jupyter.widget" not in html, f"{page.url}: a widget output was rendered (it cannot run here)"
    text = page.inner_text("main")
    for placeholder in ("Loading widget", "(children=(", "Widget Javascript not detected"):
        assert placeholder not in text, f"{page.url}: broken widget placeholder {placeholder!r}"


@pytest.mark.parametrize("lang,page", PAGES, ids=[f"{lang}:{page}" for lang, page in PAGES])
def test_page(site, visit, lang, page):
    v = visit(f"{site}{lang}/{page}.html")
    assert v.response is not None and v.response.ok, f"{lang}/{page}.html: HTTP {v.response and v.response.status}"
    p = v.page
    assert p.get_attribute("html", "lang") == lang
    assert check_links(p, site) > 5
    check_figures(p)
    check_no_widget_placeholders(p)
    assert not v.failed, f"{p.url}: requests for the site's own files failed: {v.failed}"
    assert not v.errors, f"{p.url}: JavaScript errors: {v.errors}"

    if page.startswith("chapters/"):
        check_chapter_buttons(p, site, lang, page)

    # two switches to the other language: one in the header, one in the text; both lead to the same page
    expected = f"{site}{other(lang)}/{counterpart(lang, page)}.html"
    switches = p.eval_on_selector_all("a.gansrc-language-switch", "els => els.map(a => a.href)")
    assert len(switches) == 2 and set(switches) == {expected}, f"{p.url}: language switches {switches}"
    p.click("main a.gansrc-language-switch")
    p.wait_for_load_state("load")
    assert p.url == expected and p.get_attribute("html", "lang") == other(lang)
    back = p.eval_on_selector_all("a.gansrc-header-switch", "els => els.map(a => a.href)")
    assert back == [f"{site}{lang}/{page}.html"], f"{p.url}: the way back is {back}"


def check_chapter_buttons(p, site: str, lang: str, page: str) -> None:
    repo = CONFIG["repository"]
    colab = p.eval_on_selector_all("a[href^='https://colab.research.google.com']", "els => els.map(a => a.href)")
    owner_repo = urlsplit(repo["url"]).path.strip("/")
    assert colab == [f"https://colab.research.google.com/github/{owner_repo}/blob/{repo['branch']}/{page}.ipynb"]
    assert (ROOT / f"{page}.ipynb").is_file(), "Colab would open a notebook that is not in the repository"
    downloads = p.eval_on_selector_all(".dropdown-download-buttons a[href]", "els => els.map(a => a.href)")
    wanted = {f"{site}{lang}/_sources/{page}.ipynb": ".ipynb", f"{site}{lang}/_sources/{page}.md": ".md"}
    assert set(wanted) <= set(downloads), f"{p.url}: download buttons {downloads}"
    for url, suffix in wanted.items():
        served = p.request.get(url)
        assert served.ok and served.body() == (ROOT / f"{page}{suffix}").read_bytes(), f"{url} is not the committed {suffix}"
    json.loads((ROOT / f"{page}.ipynb").read_text())  # a notebook, not an HTML error page


def test_bibliography_is_linked_from_the_text(site, visit):
    for lang in LANGUAGES:
        v = visit(f"{site}{lang}/chapters/{lang}/02_gan.html")
        citations = v.page.eval_on_selector_all("main a[href*='references.html#']", "els => els.map(a => a.href)")
        assert len(citations) >= 3, f"{lang}: chapter 02 links to {len(citations)} references"
        v.page.click("main a[href*='references.html#']")
        v.page.wait_for_load_state("load")
        assert v.page.url.split("#")[0] == f"{site}{lang}/book/{lang}/references.html"
        assert v.page.locator(f"[id='{urlsplit(v.page.url).fragment}']").count() == 1


@pytest.mark.parametrize("lang", LANGUAGES)
def test_formulas_are_typeset_offline(site, visit, lang):
    """MathJax comes from the site itself, so the formulas render with no network."""
    v = visit(f"{site}{lang}/chapters/{lang}/02_gan.html")
    v.page.wait_for_function("document.querySelectorAll('mjx-container').length >= 20", timeout=30_000)
    assert v.page.locator("mjx-container").count() >= 20
    assert "\\log" not in v.page.inner_text("main"), "some TeX was left untypeset"
    assert not v.failed and not v.errors, v.failed + v.errors


def test_the_chooser_leads_to_both_languages(site, visit):
    v = visit(site)
    links = v.page.eval_on_selector_all("a.card", "els => els.map(a => a.href)")
    assert links == [f"{site}en/index.html", f"{site}es/index.html"]
    for link, lang in zip(links, LANGUAGES):
        v.page.goto(link, wait_until="load")  # a redirect to the landing page
        v.page.wait_for_url(f"{site}{lang}/book/{lang}/index.html", timeout=10_000)
        assert v.page.get_attribute("html", "lang") == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_finds_the_gan_chapter(site, visit, lang):
    v = visit(f"{site}{lang}/search.html?q={SEARCH_WORDS[lang]}")
    p = v.page
    p.wait_for_selector("#search-results ul.search li", timeout=30_000)
    results = p.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
    assert any(f"/{lang}/chapters/{lang}/02_gan.html" in r for r in results), results
    assert not any(f"/{other(lang)}/" in r for r in results), "search crossed into the other language"
    switch = p.eval_on_selector("a.gansrc-header-switch", "a => a.href")
    assert switch == f"{site}{other(lang)}/search.html?q={SEARCH_WORDS[lang]}"


def test_solutions_are_folded_until_clicked_and_screenshots(site, visit):
    """Screenshots: the top of chapter 02 in English, and its solutions in Spanish, unfolded."""
    if SCREENSHOTS.exists():
        shutil.rmtree(SCREENSHOTS)
    SCREENSHOTS.mkdir(parents=True)
    v = visit(f"{site}en/chapters/en/02_gan.html")
    v.page.screenshot(path=str(SCREENSHOTS / "en-02_gan-top.png"))

    v = visit(f"{site}es/chapters/es/02_gan.html")
    p = v.page
    dropdowns = p.locator("main div.admonition.dropdown")
    assert dropdowns.count() >= 3, "chapter 02 should have one folded solution per exercise"
    first = dropdowns.first
    body = first.locator("p").last
    assert not body.is_visible(), "a solution is visible before it is unfolded"
    first.locator(".toggle-button").click()
    body.wait_for(state="visible")
    code_toggles = p.locator("main details.hide")
    if code_toggles.count():
        code = code_toggles.first
        assert not code.locator("pre").first.is_visible()
        code.locator("summary").click()
        code.locator("pre").first.wait_for(state="visible")
    first.scroll_into_view_if_needed()
    p.evaluate("window.scrollBy(0, -80)")
    p.screenshot(path=str(SCREENSHOTS / "es-02_gan-soluciones.png"))
    assert sorted(f.name for f in SCREENSHOTS.iterdir()) == ["en-02_gan-top.png", "es-02_gan-soluciones.png"]
