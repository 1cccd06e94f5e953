"""Bytes of a text file to text: UTF-8 (with or without BOM), UTF-16, or a legacy Vietnamese encoding.

Its own module because every reader of user text needs it (.txt/.md files, HTML that names an
encoding, ``--questions`` files) and none of them needs the rest of document loading. The legacy
tables (``pipeline.documents.legacy_encodings``) are imported only when bytes are not UTF-8 or UTF-16, so
reading UTF-8 files never loads them.
"""

from __future__ import annotations

import codecs

from pipeline.core.errors import VidocError

# ``pipeline.documents.legacy_encodings.LEGACY_ENCODINGS`` after UTF-8, spelled out so that reading UTF-8
# files never imports the legacy tables.
LEGACY_ENCODINGS = ("tcvn3", "vni", "cp1258")
TEXT_ENCODINGS = ("utf-8", *LEGACY_ENCODINGS)
ENCODING_FIX = "Name it with --encoding tcvn3|vni|cp1258, or convert it first (`iconv -f ... -t UTF-8`)."
ICONV_FIX = "Convert it first, e.g. `iconv -f WINDOWS-1258 -t UTF-8 file.txt > file.utf8.txt`."


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" not in sample:
        return False
    # UTF-16 text without a BOM has a NUL in every other byte; anything else with NULs is binary.
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    return not (odd_nuls > 0.3 * half and even_nuls == 0) and not (even_nuls > 0.3 * half and odd_nuls == 0)


def _binary(source: str) -> VidocError:
    return VidocError(
        f"{source}: this looks like a binary file, not a text document.",
        "Pass a .txt, .md, .html, .docx or .pdf file.",
    )


def _reads_as_latin_script(text: str) -> bool:
    """Whether UTF-16 found without a BOM reads as Vietnamese (or any Latin-script) text: almost every
    character in the Latin, combining-mark, punctuation and whitespace blocks. Bytes that only happen
    to have NULs in one column decode to CJK or private-use characters instead. The first 4,096
    characters decide, as the first 8 KiB decide ``_looks_binary``: a 50 MB file is not walked twice."""
    sample = text[:4096]
    if not sample:
        return True
    latin = sum(
        1
        for char in sample
        if char.isspace()
        or ord(char) < 0x0250
        or 0x0300 <= ord(char) < 0x0370
        or 0x1E00 <= ord(char) < 0x2070
    )
    return latin >= 0.9 * len(sample)


def check_encoding(name: str | None) -> str | None:
    """``--encoding NAME`` as vidoc spells it (lowercase), or a ``VidocError`` naming the choices."""
    if name is None:
        return None
    spelled = name.strip().lower().replace("_", "-")
    spelled = {"utf8": "utf-8", "windows-1258": "cp1258", "tcvn": "tcvn3", "vni-windows": "vni"}.get(
        spelled, spelled
    )
    if spelled not in TEXT_ENCODINGS:
        raise VidocError(f"--encoding {name}: unknown encoding; choose one of {', '.join(TEXT_ENCODINGS)}.")
    return spelled


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 or a detected legacy Vietnamese encoding; refuse
    anything else with a clear message."""
    return decode_text_as(data, source, fix=ICONV_FIX)[0]


def decode_text_as(
    data: bytes, source: str, encoding: str | None = None, fix: str = ENCODING_FIX
) -> tuple[str, str]:
    """(text, the encoding it was read in). ``encoding`` None means: UTF-8 or UTF-16 when the bytes
    are that (they are never read as anything else), else TCVN3, VNI or Windows-1258 when
    ``detect_legacy`` recognises one. A named ``encoding`` (one of ``TEXT_ENCODINGS``) is used as given,
    except that valid non-ASCII UTF-8 is refused as legacy text rather than turned into mojibake."""
    if _looks_binary(data):
        raise _binary(source)
    if encoding in LEGACY_ENCODINGS:
        return _decode_legacy_as(data, source, encoding), encoding
    if data.startswith(codecs.BOM_UTF8):
        name, payload = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name, payload = "utf-16", data
    elif b"\x00" in data[:8192]:
        sample = data[:8192]
        name = "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"
        payload = data
    else:
        name, payload = "utf-8", data
    try:
        text = payload.decode(name)
    except UnicodeDecodeError as error:
        position = error.start
    else:
        if name in ("utf-16-le", "utf-16-be") and not _reads_as_latin_script(text):
            raise _binary(source)  # NULs in one column by chance ("ab\x00c"), not UTF-16 text
        return text, name.removesuffix("-le").removesuffix("-be")
    if name == "utf-8" and encoding is None:
        from pipeline.documents.legacy_encodings import decode_legacy, detect_legacy

        legacy = detect_legacy(payload)
        if legacy is not None:
            return decode_legacy(payload, legacy), legacy
    if encoding is None:
        raise VidocError(
            f"{source}: not valid {name.upper()} text (byte {position}), "
            "nor recognisably TCVN3, VNI or Windows-1258.",
            fix,
        )
    raise VidocError(
        f"{source}: not valid UTF-8 text (byte {position}).",
        "Leave out --encoding to detect TCVN3, VNI or Windows-1258, or name one of them.",
    )


def _decode_legacy_as(data: bytes, source: str, encoding: str) -> str:
    """Bytes the user says are in a legacy ``encoding``; valid UTF-8 beyond ASCII is refused, since
    reading it as TCVN3 or VNI would only make mojibake of it."""
    payload = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    if not payload.isascii():
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise VidocError(
                f"{source}: this is valid UTF-8 text, not {encoding.upper()}.",
                "Leave out --encoding (or pass --encoding utf-8).",
            )
    from pipeline.documents.legacy_encodings import decode_legacy, detect_legacy, legacy_scores

    detected = detect_legacy(payload)
    if detected is not None and detected != encoding:  # a confident other guess: the named one is mojibake
        scores = legacy_scores(payload)
        raise VidocError(
            f"{source}: reads as {detected.upper()} ({scores[detected]:.0%} of its words are Vietnamese "
            f"syllables), not {encoding.upper()} ({scores[encoding]:.0%}).",
            f"Leave out --encoding, or pass --encoding {detected}.",
        )
    return decode_legacy(payload, encoding)
