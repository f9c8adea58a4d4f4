import io
import random
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter
from pypdf import PdfWriter

from webapp.documents import quality as document_quality
from webapp.documents.quality import PROBLEMS, Assessment, assess
from webapp.rules.documents import DOCUMENT_CODES, IDENTITY_DOCUMENTS

IMAGE_MEASURES = {
    "width",
    "height",
    "long_side",
    "mean_luminance",
    "luminance_p95",
    "contrast_range",
    "clipped_share",
    "glare_share",
    "paper_clipped_share",
    "laplacian_var",
    "sharpness",
}


# Builders. Every picture is drawn here; what the tests store is what upload_checks stores: a
# JPEG at quality 85, long side at most 2000 px.


def jpeg(image, quality=85):
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pdf(pages):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@cache
def document(size=(1600, 1000), sparse=False, frame=3, paper=(255, 255, 255)):
    """A printed page: a frame, a title, lines of small text and blocks of black "words"."""
    width, height = size
    rnd = random.Random(f"{size}{sparse}")
    page = Image.new("RGB", size, paper)
    draw = ImageDraw.Draw(page)
    margin = max(frame, 8)
    draw.rectangle(
        (margin, margin, width - margin, height - margin), outline=(20, 20, 20), width=frame
    )
    draw.text(
        (width * 0.3, height * 0.07), "REPUBLIK INDONESIA", fill=(0, 0, 0), font_size=height // 20
    )
    lines = 4 if sparse else 20
    for line in range(lines):
        y = height * (0.18 + 0.035 * line)
        draw.text(
            (width * 0.06, y),
            "NIK 3171012345670001  Nama: BUDI SANTOSO",
            fill=(10, 10, 10),
            font_size=max(8, int(height * 0.022)),
        )
        x = width * 0.55
        while x < width * 0.9:
            word = rnd.randint(20, 120) * width / 1600
            draw.rectangle((x, y + 4, x + word, y + height * 0.018), fill=(15, 15, 15))
            x += word + 14 * width / 1600
    if not sparse:
        # A photo-like grey block, as on a card.
        draw.rectangle((width * 0.75, height * 0.2, width * 0.9, height * 0.55), fill=(90, 90, 110))
    return page


def with_noise(image, sigma):
    """Sensor noise: uniform, of standard deviation sigma, the same on every run."""
    rnd = random.Random(f"{image.size}{sigma}")
    uniform = Image.frombytes("L", image.size, rnd.randbytes(image.width * image.height))
    spread = sigma * 3**0.5 / 128
    noise = uniform.point(lambda value: round(128 + (value - 127.5) * spread))
    return Image.merge(
        "RGB", [ImageChops.add(band, noise, 1, -128) for band in image.convert("RGB").split()]
    )


def photo(size=(2000, 1500), noise=6, paper=205, background=110, page=None, coverage=0.8):
    """A phone photo: the page slightly turned on a grey table, lit unevenly, with sensor noise."""
    if page is None:
        page = document()
    width, height = size
    ramp = Image.linear_gradient("L").resize(size)
    table = ramp.point(lambda value: background - 20 + value * 40 // 255)
    picture = Image.merge("RGB", (table, table, table.point(lambda value: value + 8)))
    shown = page.resize(
        (int(width * coverage), int(width * coverage * page.height / page.width)),
        Image.Resampling.LANCZOS,
    )
    shown = shown.point(lambda value: value * paper // 255)
    mask = Image.new("L", shown.size, 255).rotate(3, expand=True)
    shown = shown.rotate(3, expand=True, resample=Image.Resampling.BICUBIC)
    picture.paste(shown, ((width - shown.width) // 2, (height - shown.height) // 2), mask)
    return with_noise(picture, noise) if noise else picture


@cache
def sharp_photo():
    return photo()


def with_glare(image, box):
    """A white-hot ellipse with a soft edge over box (fractions of the picture)."""
    width, height = image.size
    left, top, right, bottom = box
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((width * left, height * top, width * right, height * bottom), 255)
    mask = mask.filter(ImageFilter.GaussianBlur(15))
    return Image.composite(Image.new("RGB", image.size, "white"), image, mask)


def scaled_round_trip(image, factor):
    small = image.resize((image.width // factor, image.height // factor), Image.Resampling.BICUBIC)
    return small.resize(image.size, Image.Resampling.BICUBIC)


def card_on_scanner_lid():
    """A light-blue card filling most of a scan, the white lid around it."""
    lid = Image.new("RGB", (2000, 1400), "white")
    card = document((1500, 1050), paper=(190, 215, 235))
    lid.paste(card, (250, 175))
    return lid


def check(data, media_type="image/jpeg", code="kk"):
    result = assess(data, media_type, code)
    assert isinstance(result, Assessment)
    assert result.status in ("ok", "needs_reupload")
    assert (result.status == "ok") == (result.problem is None)
    assert result.problem is None or result.problem in PROBLEMS
    assert all(isinstance(value, float) for value in result.measures.values())
    return result


def problem(data, code="kk", media_type="image/jpeg"):
    return check(data, media_type, code).problem


# Sharp pictures pass


@pytest.mark.parametrize("code", ["ktp", "kk"])
def test_sharp_scan_passes(code):
    result = check(jpeg(document()), code=code)
    assert result.status == "ok"
    assert set(result.measures) == IMAGE_MEASURES
    assert result.measures["long_side"] == 1600


@pytest.mark.parametrize("code", ["ktp", "kk"])
def test_sharp_phone_photo_passes(code):
    assert problem(jpeg(sharp_photo()), code) is None


@pytest.mark.parametrize("sigma", [4, 10])
def test_mild_noise_is_not_taken_for_anything(sigma):
    assert problem(jpeg(with_noise(document(), sigma)), "ktp") is None
    assert problem(jpeg(photo(noise=sigma)), "ktp") is None


def test_page_with_little_text_passes():
    assert problem(jpeg(document(sparse=True)), "ktp") is None
    assert problem(jpeg(photo(page=document(sparse=True))), "ktp") is None


def test_portrait_photo_passes():
    assert problem(jpeg(photo(size=(1500, 2000), page=document((1000, 1400)))), "ktp") is None


def test_grey_low_contrast_photo_is_not_blurry():
    result = check(jpeg(photo(paper=140, background=70)), code="ktp")
    assert result.problem is None
    assert result.measures["luminance_p95"] < 160


def faint_copy():
    """A pale photocopy: grey print on off-white paper."""
    return document().point(lambda value: 150 + value * 80 // 255)


def test_faint_photocopy_is_sharp_not_blurry():
    result = check(jpeg(faint_copy()), code="ktp")
    assert result.problem is None
    assert result.measures["contrast_range"] < 100


def test_blurred_faint_photocopy_is_blurry():
    assert problem(jpeg(faint_copy().filter(ImageFilter.GaussianBlur(2))), "ktp") == "blurry"


def test_strong_jpeg_compression_passes():
    assert problem(jpeg(sharp_photo(), quality=50), "ktp") is None


def test_png_and_webp_are_read_too():
    assert problem(png(document()), "ktp", "image/png") is None
    buffer = io.BytesIO()
    document().save(buffer, "WEBP", quality=90)
    assert problem(buffer.getvalue(), "ktp", "image/webp") is None


def test_transparent_png_is_judged_on_white():
    half = Image.new("RGBA", (1600, 1000), (0, 0, 0, 0))
    half.paste(document().crop((0, 0, 1600, 500)), (0, 0))
    # Read as black, the transparent half would make a dark picture; on white it is blank paper.
    assert check(png(half), "image/png").measures["mean_luminance"] > 200


# Blur


@pytest.mark.parametrize(
    "blurred",
    [
        pytest.param(lambda: document().filter(ImageFilter.GaussianBlur(4)), id="scan-gaussian-4"),
        pytest.param(lambda: scaled_round_trip(document(), 4), id="scan-quarter-scale"),
        pytest.param(
            lambda: sharp_photo().filter(ImageFilter.GaussianBlur(4)), id="photo-gaussian-4"
        ),
        pytest.param(lambda: scaled_round_trip(sharp_photo(), 4), id="photo-quarter-scale"),
        pytest.param(
            lambda: photo(page=document().filter(ImageFilter.GaussianBlur(4))),
            id="photo-of-a-blurred-page",
        ),
        pytest.param(
            lambda: with_noise(sharp_photo().filter(ImageFilter.GaussianBlur(4)), 6),
            id="photo-gaussian-4-then-noise",
        ),
        pytest.param(
            lambda: document(sparse=True).filter(ImageFilter.GaussianBlur(4)),
            id="sparse-page-gaussian-4",
        ),
    ],
)
@pytest.mark.parametrize("code", ["ktp", "kk"])
def test_blurred_pictures_are_blurry(blurred, code):
    assert problem(jpeg(blurred()), code) == "blurry"


def test_blank_picture_is_blurry():
    # Nothing in it is sharp; the picture's own edge must not count as an edge.
    result = check(jpeg(Image.new("RGB", (2000, 1500), (128, 128, 128))))
    assert result.problem == "blurry"
    assert result.measures["sharpness"] < 1


def test_sharpness_separates_sharp_from_blurred_with_a_margin():
    sharp = check(jpeg(sharp_photo())).measures["sharpness"]
    blurred = check(jpeg(sharp_photo().filter(ImageFilter.GaussianBlur(4)))).measures["sharpness"]
    assert sharp > 2 * document_quality.MIN_SHARPNESS
    assert blurred < document_quality.MIN_SHARPNESS / 2


def test_sharpness_does_not_depend_on_resolution():
    big = check(jpeg(document())).measures["sharpness"]
    small = check(jpeg(document((900, 562)))).measures["sharpness"]
    assert 0.5 < small / big < 2


# Resolution


@pytest.mark.parametrize("code", DOCUMENT_CODES)
def test_900_by_600_is_too_small_for_identity_documents_only(code):
    picture = jpeg(document((900, 600)))
    expected = "low_resolution" if code in IDENTITY_DOCUMENTS else None
    assert problem(picture, code) == expected


def test_900_by_600_kk_measures():
    result = check(jpeg(document((900, 600))), code="kk")
    assert result.status == "ok"
    assert (result.measures["width"], result.measures["height"]) == (900, 600)


@pytest.mark.parametrize(
    ("code", "size", "expected"),
    [
        ("ktp", (1000, 667), None),
        ("ktp", (999, 666), "low_resolution"),
        ("ktp", (667, 1000), None),
        ("ktp", (600, 900), "low_resolution"),
        ("kk", (800, 533), None),
        ("kk", (799, 533), "low_resolution"),
        ("kk", (533, 800), None),
    ],
)
def test_resolution_limits_are_inclusive_and_count_the_long_side(code, size, expected):
    assert problem(jpeg(document(size)), code) == expected


def test_low_resolution_is_reported_before_the_rest():
    tiny_dark_blur = Image.new("RGB", (300, 200), (20, 20, 20))
    result = check(jpeg(tiny_dark_blur), code="ktp")
    assert result.problem == "low_resolution"
    assert set(result.measures) == {"width", "height", "long_side"}


def test_degenerate_shapes_do_not_break_the_measures():
    for size in [(1200, 1), (1, 1200), (1200, 2), (1200, 30)]:
        check(jpeg(Image.new("RGB", size, "white")))
        check(png(Image.new("RGB", size, "white")), "image/png")


# Darkness


def test_photo_in_a_dark_room_is_too_dark():
    dark = ImageEnhance.Brightness(sharp_photo()).enhance(0.2)
    result = check(jpeg(dark), code="ktp")
    assert result.problem == "too_dark"
    assert result.measures["mean_luminance"] < 50


def test_noisy_dark_photo_is_too_dark():
    page = ImageEnhance.Brightness(document()).enhance(0.25)
    assert problem(jpeg(photo(page=page, background=30, paper=255, noise=10))) == "too_dark"


def test_darkness_is_checked_before_blur():
    dark = ImageEnhance.Brightness(sharp_photo().filter(ImageFilter.GaussianBlur(4))).enhance(0.2)
    assert problem(jpeg(dark)) == "too_dark"


def test_lit_card_on_a_black_table_is_not_too_dark():
    small_card = photo(page=document((1000, 630)), background=20, coverage=0.4)
    result = check(jpeg(small_card), code="ktp")
    assert result.problem is None
    # Dark on average, like a photo in a dark room, but the card itself is well lit.
    assert result.measures["mean_luminance"] < document_quality.MAX_DARK_MEAN
    assert result.measures["luminance_p95"] > 180


# Glare


def test_white_hot_reflection_on_a_photo_is_glare():
    result = check(jpeg(with_glare(sharp_photo(), (0.3, 0.25, 0.65, 0.65))), code="ktp")
    assert result.problem == "glare"
    assert result.measures["clipped_share"] > 0.06
    assert result.measures["glare_share"] > 0.06


def test_reflection_on_a_grey_photo_is_glare():
    grey = photo(paper=140, background=70)
    assert problem(jpeg(with_glare(grey, (0.3, 0.25, 0.65, 0.65)))) == "glare"


def test_small_highlight_is_not_glare():
    assert problem(jpeg(with_glare(sharp_photo(), (0.45, 0.45, 0.55, 0.55))), "ktp") is None


@pytest.mark.parametrize(
    "scan",
    [
        pytest.param(lambda: document(), id="white-page"),
        pytest.param(lambda: document(sparse=True), id="mostly-blank-white-page"),
        # The frame closes the page's white in: a blown patch that does not touch the edge.
        pytest.param(lambda: document(frame=16), id="thick-frame"),
        pytest.param(lambda: document(sparse=True, frame=16), id="thick-frame-little-text"),
        pytest.param(card_on_scanner_lid, id="card-on-white-lid"),
    ],
)
def test_clean_scans_of_white_pages_are_not_glare(scan):
    assert problem(jpeg(scan()), "ktp") is None


def test_white_page_scan_is_mostly_blown_yet_not_glare():
    result = check(jpeg(document(frame=16)), code="ktp")
    assert result.measures["clipped_share"] > 0.5
    assert result.measures["glare_share"] > document_quality.MIN_GLARE_SHARE
    assert result.measures["paper_clipped_share"] > document_quality.MAX_PAPER_CLIPPED_SHARE
    assert result.problem is None


def test_glare_is_checked_before_blur():
    glare = with_glare(sharp_photo().filter(ImageFilter.GaussianBlur(4)), (0.3, 0.25, 0.65, 0.65))
    assert problem(jpeg(glare)) == "glare"


# PDFs


@pytest.mark.parametrize("pages", [1, 2, 10])
def test_short_pdf_passes(pages):
    result = check(pdf(pages), "application/pdf", "ktp")
    assert result.status == "ok"
    assert result.measures == {"pages": pages}


@pytest.mark.parametrize("pages", [11, 12])
def test_long_pdf_is_too_many_pages(pages):
    assert problem(pdf(pages), "kk", "application/pdf") == "pdf_too_many_pages"


def test_pdf_without_pages():
    assert problem(pdf(0), "kk", "application/pdf") == "pdf_no_pages"


# Unreadable


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        pytest.param(random.Random(7).randbytes(5000), "image/jpeg", id="random-as-jpeg"),
        pytest.param(random.Random(7).randbytes(5000), "application/pdf", id="random-as-pdf"),
        pytest.param(b"", "image/jpeg", id="empty-jpeg"),
        pytest.param(b"", "application/pdf", id="empty-pdf"),
        pytest.param(jpeg(document())[:4000], "image/jpeg", id="truncated-jpeg"),
        pytest.param(pdf(2)[:300], "application/pdf", id="truncated-pdf"),
        # Only the format the media type names may claim the bytes.
        pytest.param(png(Image.new("RGB", (1200, 900))), "image/jpeg", id="png-stored-as-jpeg"),
        pytest.param(jpeg(document()), "application/pdf", id="jpeg-stored-as-pdf"),
        pytest.param(jpeg(document()), "image/gif", id="unknown-media-type"),
    ],
)
def test_unreadable(data, media_type):
    result = check(data, media_type, "ktp")
    assert (result.status, result.problem, result.measures) == ("needs_reupload", "unreadable", {})


def test_unknown_document_code_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown document code"):
        assess(jpeg(document()), "image/jpeg", "selfie")


def test_oversized_picture_is_unreadable(monkeypatch):
    monkeypatch.setattr(document_quality, "MAX_PIXELS", 1000 * 1000)
    assert problem(jpeg(Image.new("RGB", (1001, 1000), "white"))) == "unreadable"


def test_problem_codes_are_stable():
    assert PROBLEMS == (
        "unreadable",
        "low_resolution",
        "too_dark",
        "glare",
        "blurry",
        "pdf_no_pages",
        "pdf_too_many_pages",
    )


def test_assessment_is_frozen():
    result = check(pdf(1), "application/pdf")
    with pytest.raises(AttributeError):
        result.status = "needs_reupload"


# Fuzzing: whatever the bytes, an assessment comes back.

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MEDIA_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"]
SIGNATURES = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP", b"%PDF-"]
SEEDS = [
    jpeg(document((1000, 700))),
    png(document((900, 600))),
    pdf(1),
]


@FUZZ
@given(
    st.sampled_from(SIGNATURES),
    st.binary(max_size=2048),
    st.sampled_from(MEDIA_TYPES),
    st.sampled_from(DOCUMENT_CODES),
)
def test_arbitrary_bytes_never_raise(signature, rest, media_type, code):
    check(signature + rest, media_type, code)


@FUZZ
@given(st.data())
def test_damaged_valid_files_never_raise(data):
    damaged = bytearray(data.draw(st.sampled_from(SEEDS)))
    positions = st.integers(min_value=12, max_value=len(damaged) - 1)
    for position, value in data.draw(
        st.lists(st.tuples(positions, st.integers(0, 255)), max_size=16)
    ):
        damaged[position] = value
    end = data.draw(st.integers(min_value=1, max_value=len(damaged)))
    check(bytes(damaged[:end]), data.draw(st.sampled_from(MEDIA_TYPES)), "kk")
