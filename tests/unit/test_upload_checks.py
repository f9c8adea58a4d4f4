import io
import struct
import warnings
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from webapp.documents import upload_checks
from webapp.documents.upload_checks import (
    MAX_BYTES,
    MAX_LONG_SIDE,
    MAX_PDF_PAGES,
    THUMBNAIL_LONG_SIDE,
    CleanFile,
    UploadRefused,
    inspect_upload,
)

CODES = {
    "empty",
    "too_large",
    "unsupported_type",
    "corrupt",
    "too_many_pixels",
    "pdf_active_content",
    "pdf_encrypted",
    "pdf_too_many_pages",
    "polyglot",
}
RED = (220, 20, 30)
BLUE = (20, 40, 200)
GREEN = (30, 180, 60)
WHITE = (255, 255, 255)
# JFIF header, quantisation and Huffman tables, progressive frame: no APP1 (Exif, XMP), APP2 (ICC)
# or COM (comment) segment.
PLAIN_JPEG_MARKERS = {0xE0, 0xDB, 0xC4, 0xC2}


# Builders


def encode(image, pillow_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, pillow_format, **options)
    return buffer.getvalue()


def jpeg(size=(64, 48), colour=RED, **options):
    return encode(Image.new("RGB", size, colour), "JPEG", **options)


def png(image):
    return encode(image, "PNG")


def pdf(pages=2, change=None):
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if change:
        change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width, height):
    """A valid 1-bit grey PNG of the given size, all zeros: tiny once compressed."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte, then the packed pixels
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", pixels)
        + png_chunk(b"IEND", b"")
    )


def png_header_only(width, height):
    """A PNG that claims a size but holds next to no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def zip_archive():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<p>hello</p>")
    return buffer.getvalue()


def pdf_with_object_stream(catalog_entries=b"", page_entries=b""):
    """A one-page PDF whose objects all sit in a compressed object stream (PDF 1.5)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_entries + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page_entries + b" >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = b" ".join(b"%d %d" % (number, offset) for number, offset in enumerate(offsets, 1))
    first = len(index) + 1
    packed = zlib.compress(index + b"\n" + body)
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    object_stream_at = len(out)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 3 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (first, len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 2, 4, i) for i in range(3)]
    rows += [struct.pack(">BIH", 1, object_stream_at, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    out += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return out


# Changes to a PdfWriter, for pdf(change=...)


def set_root_entry(key, value):
    def change(writer):
        writer.root_object[NameObject(key)] = value

    return change


def action(action_type, **entries):
    return DictionaryObject(
        {
            NameObject("/S"): NameObject(action_type),
            **{NameObject(f"/{k}"): v for k, v in entries.items()},
        }
    )


def uri_action():
    return action("/URI", URI=TextStringObject("https://evil.example/"))


def annotation(subtype, **entries):
    """A change adding an annotation to the first page."""

    def change(writer):
        added = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject(subtype),
                NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
                **{NameObject(f"/{k}"): v for k, v in entries.items()},
            }
        )
        writer.add_annotation(0, added)

    return change


def rotated_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return exif


def refusal(data):
    with pytest.raises(UploadRefused) as refused:
        inspect_upload(data)
    return refused.value.code


def opened(content):
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def jpeg_markers(content):
    """Codes of the marker segments before the image data."""
    markers, position = [], 2
    while content[position + 1] != 0xDA:
        markers.append(content[position + 1])
        (length,) = struct.unpack(">H", content[position + 2 : position + 4])
        position += 2 + length
    return markers


def close_to(actual, expected, tolerance=24):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# Plain refusals


def test_empty():
    assert refusal(b"") == "empty"


def test_too_large():
    eleven_mb = b"\xff\xd8\xff\xe0" + bytes(11 * 1024 * 1024)
    assert refusal(eleven_mb) == "too_large"
    assert refusal(b"\xff\xd8\xff" + bytes(MAX_BYTES - 2)) == "too_large"


def test_exactly_the_size_limit_is_not_too_large():
    assert refusal(b"x" * MAX_BYTES) == "unsupported_type"


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><script>alert(1)</script></body></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"BM" + bytes(60),
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b" %PDF-1.4\n",
        b"%PDF1.4\n",
        b"\xff\xd8",
        b"\x89PNG\r\n",
        b"II*\x00" + bytes(16),
        b"PK\x03\x04" + bytes(26),
        b"MZ\x90\x00",
    ],
)
def test_unsupported_types(data):
    assert refusal(data) == "unsupported_type"


def test_the_signature_is_checked_at_offset_zero_only():
    assert refusal(b"\n" + jpeg()) == "unsupported_type"


# Polyglots


@pytest.mark.parametrize(
    ("base", "extra"),
    [
        ("jpeg", b"<script>alert(document.cookie)</script>"),
        ("jpeg", b"<HTML><body onload=alert(1)>"),
        ("png", b"<?php system($_GET['c']); ?>"),
        ("jpeg", "zip"),
        ("png", "zip"),
        ("pdf", "zip"),
        ("pdf", b"<script>alert(1)</script>"),
    ],
)
def test_appended_payloads_are_polyglots(base, extra):
    original = {"jpeg": jpeg(), "png": png(Image.new("RGB", (8, 8))), "pdf": pdf(1)}[base]
    payload = zip_archive() if extra == "zip" else extra
    assert refusal(original + payload) == "polyglot"


@pytest.mark.parametrize(
    "comment",
    [
        b"<?php system($_GET['c']); ?>",
        b"<svg onload=alert(1)>",
        b"<ScRiPt src=//evil.example/x.js></script>",
    ],
)
def test_markup_in_a_jpeg_comment_is_a_polyglot(comment):
    assert refusal(jpeg(comment=comment)) == "polyglot"


def test_words_without_markup_are_not_a_polyglot():
    result = inspect_upload(jpeg(comment=b"html, svg, script and php are just words here"))

    assert result.media_type == "image/jpeg"


# Corrupt files


def test_truncated_jpeg():
    photo = encode(Image.effect_noise((640, 480), 64).convert("RGB"), "JPEG")

    assert refusal(photo[: len(photo) * 6 // 10]) == "corrupt"


def test_truncated_progressive_jpeg():
    photo = encode(Image.effect_noise((640, 480), 64).convert("RGB"), "JPEG", progressive=True)

    assert refusal(photo[: len(photo) * 6 // 10]) == "corrupt"


def test_png_with_a_bad_header_checksum():
    broken = bytearray(png(Image.new("RGB", (32, 32), RED)))
    broken[29] ^= 0xFF  # last byte of the IHDR CRC

    assert refusal(bytes(broken)) == "corrupt"


def test_png_with_damaged_pixel_data():
    original = png(Image.effect_noise((64, 64), 64))
    broken = bytearray(original)
    start = original.index(b"IDAT") + 4
    broken[start + 10 : start + 20] = bytes(10)

    assert refusal(bytes(broken)) == "corrupt"


@pytest.mark.parametrize("cut", [12, 20])
def test_png_missing_its_end(cut):
    original = png(Image.new("RGB", (32, 32), RED))

    assert refusal(original[:-cut]) == "corrupt"


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0" + bytes(200),
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        b"RIFF\x00\x01\x00\x00WEBPVP8 " + bytes(200),
        b"%PDF-1.7\nthis is not a pdf\n",
        b"%PDF-",
    ],
)
def test_right_signature_wrong_content(data):
    assert refusal(data) == "corrupt"


def test_png_signature_on_a_jpeg_body():
    assert refusal(b"\x89PNG\r\n\x1a\n" + jpeg()) == "corrupt"


def test_truncated_pdf():
    original = pdf(3)

    assert refusal(original[: len(original) * 6 // 10]) == "corrupt"


# Pixel limits


def test_decompression_bomb_is_refused_without_decoding(monkeypatch):
    bomb = png_bomb(20_000, 20_000)  # 400 million pixels in about 50 KB
    assert len(bomb) < 100_000
    loads = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: loads.append(image))

    assert refusal(bomb) == "too_many_pixels"
    assert loads == []


def test_a_size_in_pillows_warning_band_is_refused_and_no_warning_escapes():
    # 48 million pixels: past MAX_PIXELS but below twice it, where Pillow only warns.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert refusal(png_header_only(8_000, 6_000)) == "too_many_pixels"
    assert caught == []


def test_the_pixel_limit_is_inclusive(monkeypatch):
    monkeypatch.setattr(upload_checks, "MAX_PIXELS", 100 * 100)

    assert inspect_upload(png(Image.new("RGB", (100, 100), RED))).width == 100
    assert refusal(png(Image.new("RGB", (101, 100), RED))) == "too_many_pixels"


# Images


@pytest.fixture(scope="module")
def phone_photo():
    """As a phone sensor stores it: 4000x3000 landscape, to be shown rotated 90° clockwise.

    The stored top-left corner is red, so upright it is the top-right corner.
    """
    image = Image.new("RGB", (4000, 3000), BLUE)
    image.paste(RED, (0, 0, 1000, 750))
    exif = rotated_exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 49.0, 10.0),
    }
    return encode(image, "JPEG", exif=exif, quality=90)


def test_the_phone_photo_fixture_carries_orientation_and_location(phone_photo):
    exif = Image.open(io.BytesIO(phone_photo)).getexif()

    assert exif[ExifTags.Base.Orientation] == 6
    assert exif[ExifTags.Base.Make] == "PhoneMaker"
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "S"


def test_phone_photo_is_upright_smaller_and_without_metadata(phone_photo):
    result = inspect_upload(phone_photo)

    assert (result.media_type, result.extension) == ("image/jpeg", ".jpg")
    assert (result.width, result.height, result.pages) == (1500, 2000, None)
    image = opened(result.content)
    assert image.format == "JPEG"
    assert image.size == (1500, 2000)
    assert close_to(image.getpixel((1490, 10)), RED)
    assert close_to(image.getpixel((10, 10)), BLUE)
    assert close_to(image.getpixel((1490, 1990)), BLUE)
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert "icc_profile" not in image.info
    assert b"Exif" not in result.content
    assert b"PhoneMaker" not in result.content
    assert image.info.get("progressive") == 1
    assert set(jpeg_markers(result.content)) == PLAIN_JPEG_MARKERS


def test_big_jpegs_are_decoded_at_reduced_scale(phone_photo, monkeypatch):
    decoded_sizes = []
    real_exif_transpose = upload_checks.ImageOps.exif_transpose

    def recording_exif_transpose(image):
        decoded_sizes.append(image.size)
        return real_exif_transpose(image)

    monkeypatch.setattr(upload_checks.ImageOps, "exif_transpose", recording_exif_transpose)
    inspect_upload(phone_photo)

    assert decoded_sizes == [(2000, 1500)]


def test_truncated_phone_photo(phone_photo):
    assert refusal(phone_photo[: len(phone_photo) * 6 // 10]) == "corrupt"


def test_phone_photo_thumbnail(phone_photo):
    thumbnail = opened(inspect_upload(phone_photo).thumbnail)

    assert thumbnail.format == "JPEG"
    assert thumbnail.size == (240, THUMBNAIL_LONG_SIDE)
    assert close_to(thumbnail.getpixel((235, 5)), RED)
    assert dict(thumbnail.getexif()) == {}


def test_small_images_are_never_enlarged():
    result = inspect_upload(jpeg(size=(640, 480)))

    assert (result.width, result.height) == (640, 480)
    assert opened(result.content).size == (640, 480)
    assert opened(result.thumbnail).size == (320, 240)


def test_tiny_image_thumbnail_keeps_its_size():
    assert opened(inspect_upload(jpeg(size=(100, 60))).thumbnail).size == (100, 60)


@pytest.mark.parametrize(
    ("pillow_format", "size", "expected"),
    [
        ("PNG", (2400, 1200), (2000, 1000)),
        ("WEBP", (1000, 3000), (667, 2000)),
        ("JPEG", (3000, 1500), (2000, 1000)),  # too little for decoding at half scale
        ("JPEG", (4032, 3024), (2000, 1500)),  # decoded at half scale, 2016x1512, then resized
    ],
)
def test_long_side_is_brought_down_to_the_limit(pillow_format, size, expected):
    result = inspect_upload(encode(Image.new("RGB", size, GREEN), pillow_format))

    assert (result.width, result.height) == expected
    assert opened(result.content).size == expected


def test_long_side_exactly_at_the_limit_is_kept():
    result = inspect_upload(jpeg(size=(MAX_LONG_SIDE, 900)))

    assert (result.width, result.height) == (MAX_LONG_SIDE, 900)


def test_png_transparency_becomes_white():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    image.paste((*GREEN, 255), (100, 0, 200, 100))

    result = inspect_upload(png(image))

    output = opened(result.content)
    assert output.mode == "RGB"
    assert close_to(output.getpixel((20, 50)), WHITE, 8)
    assert close_to(output.getpixel((180, 50)), GREEN)


def test_palette_png_transparency_becomes_white():
    image = Image.new("P", (64, 64), 0)
    image.putpalette([0, 0, 0, *RED] + [0] * 762)
    image.paste(1, (32, 0, 64, 64))

    output = opened(inspect_upload(encode(image, "PNG", transparency=0)).content)

    assert close_to(output.getpixel((5, 30)), WHITE, 8)
    assert close_to(output.getpixel((60, 30)), RED)


@pytest.mark.parametrize(
    ("mode", "pillow_format"),
    [
        ("1", "PNG"),
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("I;16", "PNG"),
        ("RGB", "PNG"),
        ("L", "JPEG"),
        ("CMYK", "JPEG"),
        ("RGBA", "WEBP"),
    ],
)
def test_every_colour_mode_comes_out_as_rgb_jpeg(mode, pillow_format):
    result = inspect_upload(encode(Image.new(mode, (30, 20)), pillow_format))

    output = opened(result.content)
    assert (output.format, output.mode, output.size) == ("JPEG", "RGB", (30, 20))


def test_webp_is_accepted():
    image = Image.new("RGB", (300, 200), BLUE)
    image.paste(RED, (0, 0, 150, 200))

    result = inspect_upload(encode(image, "WEBP", lossless=True))

    output = opened(result.content)
    assert (result.media_type, result.width, result.height) == ("image/jpeg", 300, 200)
    assert close_to(output.getpixel((20, 100)), RED)
    assert close_to(output.getpixel((280, 100)), BLUE)


@pytest.mark.parametrize("pillow_format", ["PNG", "WEBP"])
def test_animation_keeps_the_first_frame(pillow_format):
    frames = [Image.new("RGB", (40, 40), colour) for colour in (RED, GREEN, BLUE)]
    animation = encode(
        frames[0], pillow_format, save_all=True, append_images=frames[1:], duration=100, loop=0
    )
    assert Image.open(io.BytesIO(animation)).n_frames == 3

    output = opened(inspect_upload(animation).content)

    assert close_to(output.getpixel((20, 20)), RED)


def test_an_srgb_profile_is_applied_and_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()

    result = inspect_upload(jpeg(colour=RED, icc_profile=profile))

    output = opened(result.content)
    assert "icc_profile" not in output.info
    assert close_to(output.getpixel((10, 10)), RED)


def swapped_primaries_profile():
    """The sRGB profile with the red and blue primaries exchanged: red pixels mean blue."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", profile[128:132])
    entries = {bytes(profile[at : at + 4]): at for at in range(132, 132 + 12 * count, 12)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    profile[red + 4 : red + 8], profile[blue + 4 : blue + 8] = (
        profile[blue + 4 : blue + 8],
        profile[red + 4 : red + 8],
    )
    return bytes(profile)


def test_colours_are_converted_to_srgb_through_the_embedded_profile():
    red = Image.new("RGB", (16, 16), (255, 0, 0))
    source = encode(red, "PNG", icc_profile=swapped_primaries_profile())

    output = opened(inspect_upload(source).content)

    assert "icc_profile" not in output.info
    assert close_to(output.getpixel((8, 8)), (0, 0, 255), 40)


def test_a_broken_profile_falls_back_to_plain_conversion():
    result = inspect_upload(jpeg(colour=GREEN, icc_profile=b"not a colour profile"))

    output = opened(result.content)
    assert "icc_profile" not in output.info
    assert close_to(output.getpixel((10, 10)), GREEN)


def test_only_metadata_free_jpeg_segments_are_written():
    source = jpeg(comment=b"scanned at the office", dpi=(300, 300))
    assert {0xE0, 0xFE} <= set(jpeg_markers(source))

    content = inspect_upload(source).content

    assert b"scanned at the office" not in content
    assert set(jpeg_markers(content)) == PLAIN_JPEG_MARKERS


# PDFs


def test_pdf_is_kept_as_sent():
    original = pdf(2)

    result = inspect_upload(original)

    assert result == CleanFile(
        content=original,
        media_type="application/pdf",
        extension=".pdf",
        width=None,
        height=None,
        pages=2,
        thumbnail=None,
    )


def test_pdf_page_limit():
    assert inspect_upload(pdf(MAX_PDF_PAGES)).pages == MAX_PDF_PAGES
    assert refusal(pdf(MAX_PDF_PAGES + 1)) == "pdf_too_many_pages"


def test_pdf_without_pages_is_corrupt():
    assert refusal(pdf(0)) == "corrupt"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda writer: writer.add_open_action(JavaScript("app.alert(1)")), id="document-js"
        ),
        pytest.param(
            lambda writer: writer.pages[0].add_action(PageTrigger.OPEN, JavaScript("app.alert(1)")),
            id="page-open-js",
        ),
        pytest.param(set_root_entry("/OpenAction", uri_action()), id="open-action"),
        pytest.param(
            set_root_entry("/AA", DictionaryObject({NameObject("/WC"): uri_action()})),
            id="document-additional-action",
        ),
        pytest.param(
            annotation("/Link", A=action("/Launch", F=TextStringObject("cmd.exe"))),
            id="launch",
        ),
        pytest.param(
            annotation("/Link", A=action("/JavaScript", JS=TextStringObject("app.alert(1)"))),
            id="link-js",
        ),
        pytest.param(lambda writer: writer.add_attachment("run.exe", b"MZ"), id="attachment"),
        pytest.param(
            set_root_entry(
                "/AcroForm",
                DictionaryObject(
                    {
                        NameObject("/Fields"): ArrayObject(),
                        NameObject("/XFA"): TextStringObject("<xdp/>"),
                    }
                ),
            ),
            id="xfa",
        ),
        pytest.param(annotation("/RichMedia"), id="rich-media"),
    ],
)
def test_pdf_active_content(change):
    assert refusal(pdf(1, change)) == "pdf_active_content"


def test_pdf_open_action_that_only_shows_a_page_is_accepted():
    def open_first_page(writer):
        destination = ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])
        writer.root_object[NameObject("/OpenAction")] = destination

    original = pdf(1, open_first_page)
    assert b"/OpenAction [" in original

    assert inspect_upload(original).pages == 1


def test_pdf_link_to_a_website_is_accepted():
    assert inspect_upload(pdf(1, annotation("/Link", A=uri_action()))).pages == 1


@pytest.mark.parametrize(
    "hidden",
    [
        b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
        b"<< /Type /Catalog /Open#41ction << /S /URI /URI (https://evil.example/) >> >>",
        b"<< /S /#4c#61#75#6e#63#68 /F (cmd.exe) >>",
        b"<< /Names << /Embedded#46iles 1 0 R >> >>",
    ],
)
def test_hex_escaped_names_are_found_in_the_raw_bytes(hidden):
    # Appended after the end of file, where pypdf never looks: only the byte scan sees it.
    original = pdf(1)
    harmless = original + b"\n99 0 obj\n<< /S /URI /URI (https://example.org/) >>\nendobj\n"
    assert inspect_upload(harmless).pages == 1

    assert refusal(original + b"\n99 0 obj\n" + hidden + b"\nendobj\n") == "pdf_active_content"


def test_names_inside_stream_data_are_not_mistaken_for_active_content():
    # Compressed data is binary: short names such as /JS turn up in it by chance.
    original = pdf(1)
    stream = b"<< /Length 22 >>\nstream\n/JS /AA /XFA /EF junk\nendstream"
    crafted = original + b"\n98 0 obj\n" + stream + b"\nendobj\n"

    assert inspect_upload(crafted).pages == 1


def test_the_object_stream_fixture_is_a_valid_pdf():
    document = pdf_with_object_stream()
    assert len(PdfReader(io.BytesIO(document)).pages) == 1

    assert inspect_upload(document).pages == 1


@pytest.mark.parametrize(
    ("catalog", "page"),
    [
        (b"/OpenAction << /S /URI /URI (https://evil.example/) >>", b""),
        (
            b"/Names << /JavaScript << /Names [(x) << /S /JavaScript /JS (app.alert(1)) >>] >> >>",
            b"",
        ),
        (b"/AA << /WC << /S /URI /URI (https://evil.example/) >> >>", b""),
        (b"/AcroForm << /Fields [] /XF#41 (x) >>", b""),
        # Only the name of the action type or annotation tells, and only inside an array.
        (b"", b"/Annots [<< /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (x.exe) >> >>]"),
        (b"", b"/Annots [<< /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
    ],
)
def test_active_content_inside_compressed_object_streams(catalog, page):
    document = pdf_with_object_stream(catalog, page)
    assert (catalog or page) not in document  # compressed, out of reach of the byte scan

    assert refusal(document) == "pdf_active_content"


def test_destination_open_action_inside_an_object_stream_is_accepted():
    assert inspect_upload(pdf_with_object_stream(b"/OpenAction [3 0 R /Fit]")).pages == 1


def test_encrypted_pdf():
    def lock(writer):
        writer.encrypt(user_password="secret", algorithm="RC4-128")

    assert refusal(pdf(1, lock)) == "pdf_encrypted"


def test_pdf_with_only_an_owner_password_is_still_encrypted():
    def restrict(writer):
        writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")

    assert refusal(pdf(1, restrict)) == "pdf_encrypted"


def test_aes_encrypted_pdf_is_recognised_before_parsing():
    # pypdf cannot even open AES files without a crypto library; the answer must still be
    # "encrypted", not "corrupt".
    encryption = (
        b"/Encrypt << /Filter /Standard /V 5 /R 6 /Length 256 /P -4"
        b" /O <00> /U <00> /OE <00> /UE <00> /Perms <00> >>\n"
    )
    document = pdf(1).replace(b"trailer\n<<\n", b"trailer\n<<\n" + encryption)

    assert refusal(document) == "pdf_encrypted"


# Any input


VALID_FILES = [
    jpeg(size=(48, 32), exif=rotated_exif()),
    png(Image.new("RGBA", (24, 16), (*GREEN, 128))),
    encode(Image.new("RGB", (24, 16), BLUE), "WEBP"),
    pdf(1),
]
SIGNATURES = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP", b"%PDF-"]


def check_judged(data):
    try:
        result = inspect_upload(data)
    except UploadRefused as refused:
        assert refused.code in CODES
        return
    if result.media_type == "image/jpeg":
        assert opened(result.content).format == "JPEG"
        assert opened(result.thumbnail).format == "JPEG"
    else:
        assert (result.media_type, result.content) == ("application/pdf", data)
        assert 1 <= result.pages <= MAX_PDF_PAGES


def test_every_valid_fuzzing_seed_is_accepted():
    assert [inspect_upload(data).media_type for data in VALID_FILES] == [
        "image/jpeg",
        "image/jpeg",
        "image/jpeg",
        "application/pdf",
    ]


FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data):
    check_judged(data)


@FUZZ
@given(st.sampled_from(SIGNATURES), st.binary(max_size=2048))
def test_arbitrary_bytes_behind_a_valid_signature(signature, rest):
    check_judged(signature + rest)


@FUZZ
@given(st.data())
def test_mutated_valid_files(data):
    mutated = bytearray(data.draw(st.sampled_from(VALID_FILES)))
    # Past the signature, so that the decoders get to see the damage.
    positions = st.integers(min_value=12, max_value=len(mutated) - 1)
    changes = st.lists(st.tuples(positions, st.integers(0, 255)), max_size=16)
    for position, value in data.draw(changes):
        mutated[position] = value
    end = data.draw(st.integers(min_value=1, max_value=len(mutated)))
    check_judged(bytes(mutated[:end]))
