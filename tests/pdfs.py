"""PDFs read as a printed page is: rasterised by poppler, its QR codes read as a scanner does."""

import subprocess


def qr_codes_on_page(document: bytes, tmp_path, dpi: int = 200) -> list:
    """The QR codes zxing-cpp reads on the document's first page rendered at `dpi`. Only QR codes
    are looked for, as the office's scanners do: a reader of every format may take a line of
    digits for a one-dimensional barcode."""
    import zxingcpp
    from PIL import Image

    (tmp_path / "letter.pdf").write_bytes(document)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "letter.pdf", "page"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as page:
        return zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
