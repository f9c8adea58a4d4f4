"""Judges whether a stored upload is good enough for the office to read: sharp, lit and whole.

The upload has already been through upload_checks: images are JPEGs whose long side is at most
2000 px, PDFs are readable and short. This module only looks at what a phone camera gets wrong
(too small, too dark, a reflection over the text, out of focus) so that the applicant can be asked
for a better picture while still at the wizard, rather than by a clerk weeks later.

Everything is measured on one grayscale copy whose long side is WORK_LONG_SIDE, so that the
numbers do not depend on the camera's resolution; a JPEG is decoded straight at a reduced scale.
"""

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageStat
from pypdf import PdfReader

from webapp.documents.upload_checks import MAX_PIXELS, strict_decoding
from webapp.rules.documents import DOCUMENT_CODES, IDENTITY_DOCUMENTS

# Problem codes, in the order they are checked; the first that applies is reported. The UI maps
# them to messages and hints, so they must stay stable.
PROBLEMS = (
    "unreadable",
    "low_resolution",
    "too_dark",
    "glare",
    "blurry",
    "pdf_no_pages",
    "pdf_too_many_pages",
)

# Long side, in pixels, under which staff cannot read the NIK and the small print of an identity
# card or passport page; other documents (Kartu Keluarga, certificates, letters) have larger print.
MIN_LONG_SIDE_IDENTITY = 1000
MIN_LONG_SIDE_OTHER = 800

# Too dark: the mean luminance (0-255) is low and even the brightest 5% of pixels, which are the
# paper when there is one, stay dim. A white page indoors measures about 120-200 on average with
# the paper above 180; a photo in a dark room about 20-50 with the paper under 90. The second
# condition spares a well-lit card photographed on a black table, whose mean is low.
MAX_DARK_MEAN = 60
MAX_DARK_BRIGHT = 110

# Glare: a reflection leaves a solid patch of blown-out pixels on a page that is itself grey in the
# photo. A grid cell is "blown" when nearly all its pixels are; glare is reported when blown
# patches that do not touch the edge of the picture cover MIN_GLARE_SHARE of it, and the cells
# outside the patches are, on average, hardly blown at all. A patch touching the edge is taken for
# background (a scanner lid, a white table around a card). In a scan of a white page the paper
# between the letters is blown too (the cells outside the patches measure 0.3-0.7, against about
# 0.01 for a photo), so a white page inside a thick printed frame is not taken for a reflection.
# Not seen: a reflection that reaches the edge of the picture, or one on an overexposed page.
BLOWN_LUMINANCE = 250
BLOWN_CELL_SHARE = 0.85
MIN_GLARE_SHARE = 0.04
MAX_PAPER_CLIPPED_SHARE = 0.15

# Blurry: the energy of the Laplacian (second derivative) is high along sharp edges and falls
# quickly as they blur. It is averaged per grid cell and read at the 95th percentile, so that a
# page with little text is judged by the cells that have text rather than by its blank paper, and
# scaled to full contrast (p1-p99 luminance stretched to 0-255, the gain capped) so that a pale
# photocopy or a grey photo is not taken for a blurred one. On the synthetic pages and photos of
# the tests, sharp ones measure 3500-20000; after a Gaussian blur of radius 4 or a quarter-scale
# round trip, 80-1300 (with mild noise added after the blur, about 900). Heavy sensor noise can
# pass for detail: a blurred photo with noise of sigma 15 measures about 2600.
MIN_SHARPNESS = 2000.0
MIN_CONTRAST_RANGE = 64

WORK_LONG_SIDE = 1000
CELL = 25  # grid cell side in working pixels: 40 x 30 cells for a 4:3 photo

# PDFs are judged by their page count only: the scans inside would have to be rendered to be
# measured, which needs a rasteriser this service does not have and is too slow for the wizard.
# One document item should not run past this; upload_checks.MAX_PDF_PAGES (20) is a safety limit.
MAX_PDF_PAGES_PER_DOCUMENT = 10

_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_LAPLACIAN = ImageFilter.Kernel((3, 3), [0, 1, 0, 1, -4, 1, 0, 1, 0], scale=1, offset=128)
# Lookup tables from an 8-bit image to floats: the squared Laplacian response, and 1 for a blown
# pixel, so that averaging over a cell gives its mean energy and its blown share.
_SQUARED_RESPONSE = [float((value - 128) ** 2) for value in range(256)]
_IS_BLOWN = [1.0 if value >= BLOWN_LUMINANCE else 0.0 for value in range(256)]


@dataclass(frozen=True)
class Assessment:
    status: str  # "ok" | "needs_reupload"
    problem: str | None  # one of PROBLEMS when status is "needs_reupload"
    measures: dict[str, float]  # what was measured, for logs and tuning


class _Unreadable(Exception):
    pass


def assess(content: bytes, media_type: str, code: str) -> Assessment:
    """Judge a stored upload for document item `code`; bad bytes give "unreadable", never raise.

    Raises ValueError only for a code that is not a document code, which is a programming error.
    """
    if code not in DOCUMENT_CODES:
        raise ValueError(f"unknown document code: {code!r}")
    if media_type == "application/pdf":
        return _assess_pdf(content)
    pillow_format = _IMAGE_FORMATS.get(media_type)
    if pillow_format is None:
        # Nothing else is stored; whatever it is, it cannot be looked at.
        return _verdict("unreadable", {})
    return _assess_image(content, pillow_format, code)


def _verdict(problem: str | None, measures: dict[str, float]) -> Assessment:
    return Assessment(
        status="ok" if problem is None else "needs_reupload", problem=problem, measures=measures
    )


# PDFs


def _assess_pdf(content: bytes) -> Assessment:
    try:
        pages = len(PdfReader(io.BytesIO(content), strict=False).pages)
    except Exception:
        # pypdf reports malformed files through many exception types, its own and Python's.
        return _verdict("unreadable", {})
    measures = {"pages": float(pages)}
    if pages == 0:
        return _verdict("pdf_no_pages", measures)
    if pages > MAX_PDF_PAGES_PER_DOCUMENT:
        return _verdict("pdf_too_many_pages", measures)
    return _verdict(None, measures)


# Images


def _assess_image(content: bytes, pillow_format: str, code: str) -> Assessment:
    try:
        width, height, gray = _decode_gray(content, pillow_format)
    except Exception:
        # Pillow reports malformed input through many exception types (OSError, SyntaxError,
        # ValueError, struct.error, EOFError...): all mean that the file does not decode.
        return _verdict("unreadable", {})
    long_side = max(width, height)
    measures = {"width": float(width), "height": float(height), "long_side": float(long_side)}
    minimum = MIN_LONG_SIDE_IDENTITY if code in IDENTITY_DOCUMENTS else MIN_LONG_SIDE_OTHER
    if long_side < minimum:
        return _verdict("low_resolution", measures)

    histogram = gray.histogram()
    pixels = gray.width * gray.height
    dark, bright, light = _percentiles(histogram, (0.01, 0.95, 0.99))
    clipped_share = sum(histogram[BLOWN_LUMINANCE:]) / pixels
    mean = sum(value * count for value, count in enumerate(histogram)) / pixels
    measures.update(
        mean_luminance=mean,
        luminance_p95=float(bright),
        contrast_range=float(light - dark),
        clipped_share=clipped_share,
    )
    if mean < MAX_DARK_MEAN and bright < MAX_DARK_BRIGHT:
        return _verdict("too_dark", measures)

    glare_share, paper_clipped_share = _glare_shares(gray)
    measures.update(glare_share=glare_share, paper_clipped_share=paper_clipped_share)
    if glare_share >= MIN_GLARE_SHARE and paper_clipped_share < MAX_PAPER_CLIPPED_SHARE:
        return _verdict("glare", measures)

    laplacian_var, sharpness = _sharpness(gray, light - dark)
    measures.update(laplacian_var=laplacian_var, sharpness=sharpness)
    if sharpness < MIN_SHARPNESS:
        return _verdict("blurry", measures)
    return _verdict(None, measures)


def _decode_gray(content: bytes, pillow_format: str) -> tuple[int, int, Image.Image]:
    """The picture's size, and its luminance with the long side at most WORK_LONG_SIDE."""
    # Only the format the stored media type names may claim the bytes.
    image = Image.open(io.BytesIO(content), formats=[pillow_format])
    width, height = image.size
    # Stored pictures are far smaller; anything bigger did not come through upload_checks. (Pillow
    # itself warns past Image.MAX_IMAGE_PIXELS while opening, and refuses past twice that.)
    if not 0 < width * height <= MAX_PIXELS:
        raise _Unreadable
    scale = WORK_LONG_SIDE / max(width, height)
    if scale < 1:
        # A JPEG decodes straight to luminance at 1/2, 1/4 or 1/8 scale, no smaller than asked:
        # most of the decoding time is spared. Other formats ignore this.
        image.draft("L", (math.ceil(width * scale), math.ceil(height * scale)))
    # Decodes every byte: a truncated or corrupt file raises here.
    with strict_decoding():
        image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image.convert("RGBA"))
    gray = image.convert("L")
    scale = WORK_LONG_SIDE / max(gray.size)
    if scale < 1:
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.BILINEAR)
    return width, height, gray


def _percentiles(histogram: list[int], fractions: tuple[float, ...]) -> list[int]:
    """The luminance under which each fraction of the pixels lies, fractions in rising order."""
    pixels = sum(histogram)
    found: list[int] = []
    seen = 0
    for value, count in enumerate(histogram):
        seen += count
        while len(found) < len(fractions) and seen >= fractions[len(found)] * pixels:
            found.append(value)
    return found


def _grid(image: Image.Image, table: list[float]) -> tuple[list[float], int, int]:
    """Mean of table[pixel] over each CELL x CELL cell, row by row, with the grid's size."""
    columns, rows = max(1, image.width // CELL), max(1, image.height // CELL)
    cell_width, cell_height = image.width // columns, image.height // rows
    values = image.point(table, "F").crop((0, 0, columns * cell_width, rows * cell_height))
    means = values.reduce((cell_width, cell_height))
    return list(means.get_flattened_data()), columns, rows


def _glare_shares(gray: Image.Image) -> tuple[float, float]:
    """Share of the picture in blown-out patches that do not touch its edge, and the share of
    blown pixels in the cells outside any patch."""
    shares, columns, rows = _grid(gray, _IS_BLOWN)
    blown = {
        divmod(index, columns) for index, share in enumerate(shares) if share >= BLOWN_CELL_SHARE
    }
    outside = [share for share in shares if share < BLOWN_CELL_SHARE]
    outside_share = sum(outside) / len(outside) if outside else 1.0
    glare_cells = 0
    while blown:
        # Take out one 4-connected patch of blown cells.
        pending = [blown.pop()]
        size = 0
        touches_edge = False
        while pending:
            row, column = pending.pop()
            size += 1
            touches_edge = touches_edge or row in (0, rows - 1) or column in (0, columns - 1)
            for neighbour in (
                (row - 1, column),
                (row + 1, column),
                (row, column - 1),
                (row, column + 1),
            ):
                if neighbour in blown:
                    blown.remove(neighbour)
                    pending.append(neighbour)
        if not touches_edge:
            glare_cells += size
    return glare_cells / len(shares), outside_share


def _sharpness(gray: Image.Image, contrast_range: int) -> tuple[float, float]:
    """The Laplacian's variance over the picture, and the contrast-scaled sharpness of its cells."""
    # The kernel filter copies the outermost pixels unfiltered: they are cut off, as they would
    # otherwise count as strong responses.
    laplacian = gray.filter(_LAPLACIAN)
    if laplacian.width > 2 and laplacian.height > 2:
        laplacian = laplacian.crop((1, 1, laplacian.width - 1, laplacian.height - 1))
    laplacian_var = ImageStat.Stat(laplacian).var[0]
    energies, _, _ = _grid(laplacian, _SQUARED_RESPONSE)
    energies.sort()
    energy = energies[round(0.95 * (len(energies) - 1))]
    gain = 255 / max(contrast_range, MIN_CONTRAST_RANGE)
    return laplacian_var, energy * gain * gain
