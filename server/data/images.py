"""Photos made small: a JPEG thumbnail of an image a phone sent, for lists and map popups.

`thumbnail` reads a JPEG, PNG, GIF or WebP image (nothing else: `NotAnImage`), turns it
the way the phone held it (EXIF orientation), and returns a JPEG whose longer side is at
most ``size`` pixels. A JPEG is decoded at a reduced scale from the start, so a large
photo never sits in memory at full size. An image of more than `MAX_PIXELS` pixels is
refused before it is decoded (a decompression bomb: a small file that unpacks to
gigabytes).
"""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
MAX_PIXELS = 120_000_000  # a 108-megapixel phone photo fits; Pillow refuses twice this at open
QUALITY = 80

Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class NotAnImage(ValueError):
    """The file is not an image that can be made small (or is far too large to try)."""


def is_image(name: str, content_type: str | None = None) -> bool:
    """Whether a file is a photo, by its declared type or by its name (phones do not
    always declare one)."""
    declared = (content_type or "").lower()
    return declared.startswith("image/") or name.lower().endswith(IMAGE_SUFFIXES)


def thumbnail(source: BinaryIO | bytes, size: int) -> bytes:
    """A JPEG of the image in ``source`` whose longer side is at most ``size`` pixels."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(stream, formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage(f"{image.width}×{image.height} pixels is too large")
            image.draft("RGB", (size, size))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            small = ImageOps.exif_transpose(image)
            small.thumbnail((size, size), Image.Resampling.LANCZOS)
            flat = _on_white(small)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
    ) as error:
        raise NotAnImage(str(error)) from error
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    """The image in RGB, any transparency laid over white (JPEG has none)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")
