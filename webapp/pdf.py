"""The one way to make a PDF: a template of templates/pdf/ rendered by WeasyPrint.

Relative URLs in a PDF template resolve against the project root (``static/fonts/...``). Only
files under static/ and inline ``data:`` URIs are served to WeasyPrint; anything else, and any
file that is missing, stops the rendering with PdfAssetError: a missing font or image is an
error, never a silently blank or wrongly typeset page. Templates are ours only: never render
HTML written by users.

Speed: a template's styles live in static/css/pdf/ (STYLESHEETS names them per template), parsed
into ``weasyprint.CSS`` objects once per process with one shared FontConfiguration, so that the
fonts' @font-face rules are loaded once, not at every render; they are passed as ``stylesheets=``.
Rendering takes a process-wide lock: WeasyPrint's font configuration is not documented as safe
to share between threads, and the demo's background job renders beside the requests.
"""

import math
import os
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

from flask import make_response, render_template
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATIC = os.path.join(ROOT, "static")
BASE_URL = "file://" + ROOT + "/"
_MEDIA_TYPES = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".css": "text/css",
}


class PdfAssetError(RuntimeError):
    """An asset a PDF template refers to is missing or not allowed."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under static/ and data: URIs; refuses everything else, loudly."""

    def __init__(self):
        # fail_on_errors: WeasyPrint would otherwise log a warning and render without the asset.
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise PdfAssetError(f"PDF asset outside static/: {url}")
        path = os.path.realpath(unquote(parts.path))
        if os.path.commonpath([path, STATIC]) != STATIC:
            raise PdfAssetError(f"PDF asset outside static/: {url}")
        if not os.path.isfile(path):
            raise PdfAssetError(f"PDF asset missing: {os.path.relpath(path, ROOT)}")
        with open(path, "rb") as handle:
            body = handle.read()
        media_type = _MEDIA_TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


# The stylesheets of each template, files of static/css/pdf/, in cascade order. Templates carry
# no <style>: an @font-face parsed at each render would add the fonts to the shared configuration
# again and again.
STYLESHEETS = {
    "queue_ticket.html": ("roll.css", "queue_ticket.css"),
    "cover_letter.html": ("letter.css", "cover_letter.css"),
    "rejection.html": ("letter.css", "rejection.css"),
    "receipt.html": ("letter.css", "receipt_a4.css"),  # A4; the roll is ROLL_RECEIPT
}
ROLL_RECEIPT = ("roll.css", "receipt_roll.css")
CSS_DIRECTORY = os.path.join(STATIC, "css", "pdf")

_fonts: FontConfiguration | None = None
_parsed: dict[str, CSS] = {}
_rendering = threading.RLock()


def _font_config() -> FontConfiguration:
    global _fonts
    if _fonts is None:
        _fonts = FontConfiguration()
    return _fonts


def stylesheets(names: Sequence[str]) -> list[CSS]:
    """The parsed sheets of these names (files of static/css/pdf/), parsed once per process; a
    missing sheet or a font it names missing is a PdfAssetError."""
    with _rendering, _assets_checked():
        found = []
        for name in names:
            if name not in _parsed:
                path = os.path.join(CSS_DIRECTORY, name)
                if not os.path.isfile(path):
                    raise PdfAssetError(f"PDF stylesheet missing: {os.path.relpath(path, ROOT)}")
                _parsed[name] = CSS(
                    filename=path, url_fetcher=StaticOnlyFetcher(), font_config=_font_config()
                )
            found.append(_parsed[name])
        return found


def render_document(template: str, sheets: Sequence[str] | None = None, **context) -> Document:
    """templates/pdf/<template> laid out (not yet written): pages that `combine` can join."""
    with _rendering, _assets_checked():
        return _layout(_html(template, context), _sheets_of(template, sheets))


def render_pdf(template: str, sheets: Sequence[str] | None = None, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes (fonts subset, so files stay small), with
    its STYLESHEETS (or the `sheets` named)."""
    with _rendering, _assets_checked():
        return render_document(template, sheets, **context).write_pdf()


def combine(documents: Sequence[Document]) -> bytes:
    """One PDF of every page of the documents, in order (a batch of receipts)."""
    if not documents:
        raise ValueError("nothing to combine")
    with _rendering, _assets_checked():
        pages = [page for document in documents for page in document.pages]
        return documents[0].copy(pages).write_pdf()


def _sheets_of(template: str, sheets: Sequence[str] | None) -> list[CSS]:
    return stylesheets(STYLESHEETS.get(template, ()) if sheets is None else sheets)


def _layout(html: HTML, sheets: list[CSS]) -> Document:
    return html.render(stylesheets=sheets, font_config=_font_config())


def inline_response(document: bytes, filename: str):
    """A PDF shown in the browser (printable from there), never cached by the way."""
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Tall enough for anything printed on a roll; the first pass only measures.
_MEASURING_HEIGHT_MM = 2000
_MM_PER_CSS_PX = 25.4 / 96


def render_pdf_fitted(
    template: str, width_mm: float, sheets: Sequence[str] | None = None, **context
) -> bytes:
    """Render templates/pdf/<template> on one page `width_mm` wide and exactly as tall as its
    content, for a roll printer that would otherwise feed blank paper."""
    with _rendering, _assets_checked():
        return render_fitted_document(template, width_mm, sheets, **context).write_pdf()


def render_fitted_document(
    template: str, width_mm: float, sheets: Sequence[str] | None = None, **context
) -> Document:
    """The fitted page of `render_pdf_fitted`, laid out (not yet written).

    One layout pass, on a page taller than any ticket, measures where the content ends; the page
    is then cut there: a PDF page is as tall as its Page.height, and nothing is drawn below the
    content (no page background, no footer). The height is rounded up to a whole millimetre. The
    page's margin is zero: the template keeps its own white border as padding of its root.
    """
    with _rendering, _assets_checked():
        html = _html(template, context)
        document = _layout(
            html, [*_sheets_of(template, sheets), _page(width_mm, _MEASURING_HEIGHT_MM)]
        )
        page = document.pages[0]
        root = page._page_box.children[0]
        height_mm = math.ceil((root.position_y + root.margin_height()) * _MM_PER_CSS_PX)
        page.height = height_mm / _MM_PER_CSS_PX
        return document


_pages: dict[tuple[float, float], CSS] = {}


def _page(width_mm: float, height_mm: float) -> CSS:
    """The page size as a stylesheet, parsed once per size (roll heights repeat)."""
    key = (width_mm, height_mm)
    if key not in _pages:
        if len(_pages) > 512:
            _pages.clear()
        _pages[key] = CSS(string=f"@page {{ size: {width_mm}mm {height_mm}mm; margin: 0 }}")
    return _pages[key]


def _html(template: str, context: dict) -> HTML:
    html = render_template(f"pdf/{template}", **context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())


@contextmanager
def _assets_checked():
    try:
        yield
    except FatalURLFetchingError as error:
        # A BaseException in WeasyPrint; turn it into an ordinary error with the asset named.
        raise PdfAssetError(str(error.__cause__ or error)) from error.__cause__
