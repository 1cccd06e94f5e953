"""The text of a PDF, page by page, by pypdf (imported only when a PDF is read).

A PDF has no character offsets of its own, so the extracted text is what offsets index into.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import REASON_LIMIT, VidocError, first_line


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs what it repairs ("invalid pdf header", "EOF marker not found") to stderr, which is for
    the one line a user acts on: a readable file needs no note, an unreadable one gets its error."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def pdf_text(path: Path) -> str:
    """Every page's text, one block a page; a damaged or password-protected PDF is a ``VidocError``."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        with _quiet_pypdf():
            reader = PdfReader(str(path))
            pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError:
        raise VidocError(
            f"{path}: the PDF is password-protected.",
            "Remove the password (e.g. `qpdf --decrypt`) and retry.",
        ) from None
    # pypdf on a damaged file raises its own errors but also TypeError, AttributeError, KeyError...
    # (seen when fuzzing): whatever it raises here is about this file, not a bug in vidoc.
    except Exception as error:
        raise VidocError(
            f"{path}: not a readable PDF ({type(error).__name__}: {first_line(error, REASON_LIMIT)}).",
            "Check the file opens in a PDF viewer, or export it as text.",
        ) from error
    return "\n\n".join(page.strip() for page in pages if page.strip())
