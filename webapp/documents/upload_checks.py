"""Judges an uploaded document by its content and turns it into a file that is safe to keep.

Images come back as fresh JPEGs without metadata; PDFs are kept as sent once they are known to be
readable, unencrypted, short and free of anything that runs. The name and the content type the
browser sent are never consulted.
"""

import contextlib
import io
import math
import re
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_LONG_SIDE = 2000
THUMBNAIL_LONG_SIDE = 320
MAX_PDF_PAGES = 20

JPEG_QUALITY = 85

# Pillow warns past its limit while reading the header and refuses past twice it; _open makes the
# warning an error, so Pillow itself stops a bomb before decoding. The limit is process-wide and
# other code could change it, hence the explicit check in _decode as well.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Markup that a browser or PHP would act on. "<svg" is short enough to turn up by chance in
# compressed data, so it is only looked for where content sniffers look: the first KB.
_MARKUP_ANYWHERE = re.compile(rb"<(?:script|html|\?php)[\s/>]", re.IGNORECASE)
_MARKUP_IN_HEAD = re.compile(rb"<svg[\s/>]", re.IGNORECASE)
_HEAD = 1024
# End of a ZIP central directory on disk 0, as written by every single-archive ZIP (and JAR,
# DOCX, APK); the zero disk numbers make a chance match in image data negligible.
_ZIP_END = b"PK\x05\x06\x00\x00\x00\x00"

# PDF names that make a reader run code, launch programs or carry other files. A name ends at
# whitespace or a delimiter, so /JSON or /AAB do not count.
_ACTIVE_PDF_NAMES = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/Launch",
        "/AA",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/RichMedia",
        "/XFA",
    }
)
_NAME_END = rb"(?![^\s()<>\[\]{}/%])"
_ACTIVE_PDF_NAME = re.compile(
    rb"(?:" + b"|".join(re.escape(n.encode()) for n in _ACTIVE_PDF_NAMES) + rb")" + _NAME_END
)
# An /OpenAction that is a destination (an array, or a reference the object walk resolves) only
# opens a page; an inline action dictionary is refused.
_OPEN_ACTION = re.compile(rb"/OpenAction(?!\s*(?:\[|\d+\s+\d+\s+R))")
_ENCRYPT = re.compile(rb"/Encrypt" + _NAME_END)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Stream data is compressed binary where short names would match by chance; the object walk sees
# inside object streams instead. An unterminated stream runs to the end of the file.
_STREAM_DATA = re.compile(rb"\bstream(?:\r\n|\r|\n).*?(?:\bendstream\b|\Z)", re.DOTALL)

# warnings.catch_warnings swaps process-wide state: without the lock, two uploads opened at once
# could each restore the other's filters.
_warnings_lock = threading.Lock()
_truncation_lock = threading.Lock()
_SRGB = ImageCms.createProfile("sRGB")


class UploadRefused(Exception):
    """The upload is not kept; code names the reason (the codes are listed in inspect_upload)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CleanFile:
    """What may be stored, with what the application shows about it."""

    content: bytes
    media_type: str
    extension: str
    width: int | None
    height: int | None
    pages: int | None
    thumbnail: bytes | None


def inspect_upload(data: bytes) -> CleanFile:
    """Check an uploaded file and return what may be stored, or raise UploadRefused.

    Codes: empty, too_large, unsupported_type, polyglot, corrupt, too_many_pixels,
    pdf_encrypted, pdf_active_content, pdf_too_many_pages.
    """
    if not data:
        raise UploadRefused("empty")
    if len(data) > MAX_BYTES:
        raise UploadRefused("too_large")
    kind = _sniff(data)
    if kind is None:
        raise UploadRefused("unsupported_type")
    if _is_polyglot(data):
        raise UploadRefused("polyglot")
    if kind == "PDF":
        return _inspect_pdf(data)
    return _inspect_image(data, kind)


# What _sniff recognises, as browsers name a chosen file's type: the page checks files against it
# before sending them.
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def _sniff(data: bytes) -> str | None:
    """The format the leading bytes announce, named as Pillow names it, or "PDF"."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def _is_polyglot(data: bytes) -> bool:
    return bool(
        _MARKUP_IN_HEAD.search(data, 0, _HEAD) or _MARKUP_ANYWHERE.search(data) or _ZIP_END in data
    )


# Images


def _inspect_image(data: bytes, pillow_format: str) -> CleanFile:
    try:
        picture = _decode(data, pillow_format)
    except UploadRefused:
        raise
    except Exception as error:
        # Pillow reports malformed input through many exception types (OSError, SyntaxError,
        # ValueError, struct.error, EOFError...), so any of them means the file does not decode.
        raise UploadRefused("corrupt") from error
    picture.thumbnail((MAX_LONG_SIDE, MAX_LONG_SIDE), Image.Resampling.LANCZOS)
    thumbnail = picture.copy()
    thumbnail.thumbnail((THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE), Image.Resampling.LANCZOS)
    return CleanFile(
        content=_encode_jpeg(picture),
        media_type="image/jpeg",
        extension=".jpg",
        width=picture.width,
        height=picture.height,
        pages=None,
        thumbnail=_encode_jpeg(thumbnail),
    )


def _decode(data: bytes, pillow_format: str) -> Image.Image:
    """The first frame, upright, as sRGB pixels on white."""
    # verify() catches what load() lets pass, such as a bad PNG chunk CRC or a missing IEND; it
    # leaves the image unusable, hence the second open.
    _open(data, pillow_format).verify()
    image = _open(data, pillow_format)
    if image.width * image.height > MAX_PIXELS:
        raise UploadRefused("too_many_pixels")
    # A JPEG can be decoded straight at 1/2, 1/4 or 1/8 scale, which spares most of the time and
    # memory a big photo would cost; other formats ignore this.
    scale = MAX_LONG_SIDE / max(image.size)
    if scale < 1:
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
    # Loads every byte of the first frame: truncated data raises here.
    with strict_decoding():
        image.load()
    icc_profile = image.info.get("icc_profile")
    picture = _to_srgb(ImageOps.exif_transpose(image), icc_profile)
    # The JPEG encoder copies some of the source's metadata from here (its comment, for one).
    picture.info.clear()
    return picture


@contextlib.contextmanager
def strict_decoding():
    """Make a truncated image fail to load. Pillow's switch for padding truncated data is
    process-wide, and WeasyPrint turns it on when imported, so it is forced off here, under a
    lock, for the duration of a load."""
    with _truncation_lock:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _open(data: bytes, pillow_format: str) -> Image.Image:
    """Read the header only, refusing sizes past Pillow's limit before any pixel is decoded."""
    with _warnings_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Only the plugin the signature named may claim the file.
            return Image.open(io.BytesIO(data), formats=[pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise UploadRefused("too_many_pixels") from error


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    if image.mode in ("RGBA", "LA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    if icc_profile:
        try:
            return ImageCms.profileToProfile(
                image, io.BytesIO(icc_profile), _SRGB, outputMode="RGB"
            )
        except ImageCms.PyCMSError:
            pass  # A broken or mismatched profile: the plain conversion is still a fair picture.
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    # Only encoder options are passed: no exif, icc_profile or comment.
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()


# PDFs


def _inspect_pdf(data: bytes) -> CleanFile:
    syntax = _pdf_syntax(data)
    # Checked before parsing, as pypdf may need a crypto library merely to open an AES file.
    if _ENCRYPT.search(syntax):
        raise UploadRefused("pdf_encrypted")
    if _ACTIVE_PDF_NAME.search(syntax) or _OPEN_ACTION.search(syntax):
        raise UploadRefused("pdf_active_content")
    pages = _read_pdf(data)
    if pages == 0:
        raise UploadRefused("corrupt")
    if pages > MAX_PDF_PAGES:
        raise UploadRefused("pdf_too_many_pages")
    return CleanFile(
        content=data,
        media_type="application/pdf",
        extension=".pdf",
        width=None,
        height=None,
        pages=pages,
        thumbnail=None,
    )


def _pdf_syntax(data: bytes) -> bytes:
    """The file without stream data and with #xx escapes in names decoded (/J#61vaScript)."""
    without_streams = _STREAM_DATA.sub(b" ", data)
    return _NAME_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), without_streams)


def _read_pdf(data: bytes) -> int:
    """Parse the file, walk its objects for active content and return the page count."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if _has_active_objects(reader):
            raise UploadRefused("pdf_active_content")
        return len(reader.pages)
    except UploadRefused:
        raise
    except Exception as error:
        # Like Pillow, pypdf reports malformed files through many exception types.
        raise UploadRefused("corrupt") from error


def _has_active_objects(reader: PdfReader) -> bool:
    """Whether any object reachable from the trailer names active content.

    This sees inside compressed object streams, which the byte scan cannot.
    """
    seen: set[tuple[int, int]] = set()
    pending: list[object] = [reader.trailer]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _ACTIVE_PDF_NAMES or (key == "/OpenAction" and _is_action(value)):
                    return True
                pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, NameObject) and item in _ACTIVE_PDF_NAMES:
            return True
    return False


def _is_action(value: object) -> bool:
    target = value.get_object() if isinstance(value, IndirectObject) else value
    return isinstance(target, DictionaryObject)
