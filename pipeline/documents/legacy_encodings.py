"""Legacy Vietnamese encodings (TCVN3, VNI-Windows, Windows-1258): detect them and decode them to NFC.

Government offices still hand out .txt files typed before Unicode: TCVN3 from the ABC fonts (.VnTime),
VNI-Windows from the VNI fonts, and Windows-1258 from Word's "plain text" export. They are not UTF-8, so
``pipeline.documents.text_decoding.decode_text`` refuses them. This module is what it can fall back on:
``detect_legacy`` guesses which of the three a file is in (or says it cannot tell), ``decode_legacy`` turns
it into NFC text.

Detection decodes the bytes with every candidate and scores how Vietnamese each result looks: the share
of its non-ASCII words that are well-formed Vietnamese syllables. The right encoding gives almost only real
syllables; the wrong ones give symbols (``Céng hoµ``), two tone marks on one vowel, or spellings that
Vietnamese never uses. Bytes that are valid UTF-8 are never claimed, so a wrong guess cannot mangle them.

``encode_legacy`` is the inverse of the tables; it exists so the tables can be checked by round trips and
so tests can write fixtures, and it refuses text that would not decode back to itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

LEGACY_ENCODINGS = ("tcvn3", "vni", "cp1258")

_NONE, _HUYEN, _HOI, _NGA, _SAC, _NANG = range(6)
# Combining marks for the tones in the column order of every table below: none, huyền, hỏi, ngã, sắc, nặng.
_TONE_MARKS = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_TONE_MARK_SET = frozenset(_TONE_MARKS[1:])


def _toned(vowel: str, tone: int) -> str:
    return unicodedata.normalize("NFC", vowel + _TONE_MARKS[tone])


# --- TCVN3 -------------------------------------------------------------------------------------------
# Layout: TCVN 5712:1993, the VN3 table of the ABC fonts (.VnTime, .VnArial ...): lowercase letters with
# tones at 0xB5-0xFE, the letters with hats and đ/Đ at 0xA1-0xAE. VN3 has no codes for uppercase letters
# with tones; the full table of the same standard (VN1, what libiconv and glibc call TCVN5712-1) puts them
# in the holes VN3 leaves: 0x80-0x9F, a few of 0xAF-0xFF and twelve C0 control bytes. A VN3 file never uses
# those bytes for anything else, so reading them as VN1 costs a VN3 file nothing and lets files typed with a
# VN1-aware keyboard (Unikey's "TCVN3") keep their capitals. The two exceptions are handled in
# ``_decode_tcvn3``: Word's typographic punctuation, and .VnTimeH capitals typed with lowercase codes.
_TCVN3_LOWER: dict[str, tuple[int, ...]] = {
    #     none  huyền  hỏi   ngã   sắc  nặng
    "a": (0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_UPPER: dict[str, tuple[int, ...]] = {  # the VN1 extension, see above
    #     none  huyền  hỏi   ngã   sắc  nặng
    "A": (0x41, 0x80, 0x81, 0x82, 0x83, 0x84),
    "Ă": (0xA1, 0xAF, 0xBA, 0xBF, 0xC0, 0x85),
    "Â": (0xA2, 0xC1, 0xC2, 0xC3, 0xC4, 0x86),
    "E": (0x45, 0x87, 0x88, 0x89, 0x8A, 0x8B),
    "Ê": (0xA3, 0xC5, 0xCD, 0xD9, 0xDA, 0x8C),
    "I": (0x49, 0x8D, 0x8E, 0x8F, 0x90, 0x91),
    "O": (0x4F, 0x92, 0x93, 0x94, 0x95, 0x96),
    "Ô": (0xA4, 0xDB, 0xE0, 0xF0, 0xFF, 0x97),
    "Ơ": (0xA5, 0x98, 0x99, 0x9A, 0x9B, 0x9C),
    "U": (0x55, 0x9D, 0x9E, 0x9F, 0x01, 0x02),
    "Ư": (0xA6, 0x04, 0x05, 0x06, 0x11, 0x12),
    "Y": (0x59, 0x13, 0x14, 0x15, 0x16, 0x17),
}
_TCVN3_OTHER: dict[int, str] = {
    0xA7: "Đ",
    0xAE: "đ",
    0xA0: "\u00a0",
    # Tone marks on their own (VN1), for a base letter that has no precomposed code.
    0xB0: _TONE_MARKS[_HUYEN],
    0xB1: _TONE_MARKS[_HOI],
    0xB2: _TONE_MARKS[_NGA],
    0xB3: _TONE_MARKS[_SAC],
    0xB4: _TONE_MARKS[_NANG],
}
# VN1 capitals whose byte is also Windows-1252 punctuation that Word writes when it saves a .VnTime
# document as text (smart quotes, dashes, ellipsis, bullet). Which one a byte is depends on its left
# neighbour: a capital with a tone only follows another letter inside an all-caps word ("HỌC", "NHỎ"),
# while these punctuation marks follow a space, a digit or a lowercase letter. So the byte is read as
# the capital only right after an uppercase letter. A title-case word that starts with one of these
# capitals ("Ọp ẹp") is read as punctuation: such words are rare, curly quotes are not.
_TCVN3_PUNCTUATION = {0x85: "…", 0x91: "‘", 0x92: "’", 0x93: "“", 0x94: "”", 0x95: "•", 0x96: "–", 0x97: "—"}


def _tcvn3_byte_to_char() -> dict[int, str]:
    table: dict[int, str] = {}
    for rows in (_TCVN3_LOWER, _TCVN3_UPPER):
        for vowel, codes in rows.items():
            for tone, code in enumerate(codes):
                table[code] = _toned(vowel, tone)
    table.update(_TCVN3_OTHER)
    return table


_TCVN3_DECODE = _tcvn3_byte_to_char()
_TCVN3_ENCODE = {char: byte for byte, char in _TCVN3_DECODE.items() if not char.isascii()}
_TCVN3_ENCODE.update({char: byte for byte, char in _TCVN3_PUNCTUATION.items()})
_TCVN3_AMBIGUOUS = {_TCVN3_DECODE[byte]: punctuation for byte, punctuation in _TCVN3_PUNCTUATION.items()}
_TCVN3_AMBIGUOUS_RE = re.compile("[" + "".join(_TCVN3_AMBIGUOUS) + "]")
_TCVN3_CONTROL_LETTERS = frozenset(byte for byte in _TCVN3_DECODE if byte < 0x20)


# --- VNI-Windows ---------------------------------------------------------------------------------------
# Layout: the VNI-Windows font encoding (VNI Software's VNI fonts), as its own keyboard drivers emit it and
# as converters such as Unikey and xvnkb read it. A vowel is its ASCII letter followed by one byte that
# carries its hat and/or tone; i, y with nặng, ơ, ư and đ are single bytes. The bytes are written here as
# the Windows-1252 characters they show as when a VNI file is opened without VNI fonts ("Vieät Nam"),
# which is the form people recognise. Capitals are the same strings uppercased in Windows-1252
# ("aù" -> "AÙ", "ô" -> "Ô"): VNI gives every lowercase mark byte a capital twin 0x20 below it.
_VNI_LOWER: dict[str, tuple[str, ...]] = {
    #     none  huyền  hỏi   ngã   sắc   nặng
    "a": ("a", "aø", "aû", "aõ", "aù", "aï"),
    "ă": ("aê", "aè", "aú", "aü", "aé", "aë"),
    "â": ("aâ", "aà", "aå", "aã", "aá", "aä"),
    "e": ("e", "eø", "eû", "eõ", "eù", "eï"),
    "ê": ("eâ", "eà", "eå", "eã", "eá", "eä"),
    "i": ("i", "ì", "æ", "ó", "í", "ò"),
    "o": ("o", "oø", "oû", "oõ", "où", "oï"),
    "ô": ("oâ", "oà", "oå", "oã", "oá", "oä"),
    "ơ": ("ô", "ôø", "ôû", "ôõ", "ôù", "ôï"),
    "u": ("u", "uø", "uû", "uõ", "uù", "uï"),
    "ư": ("ö", "öø", "öû", "öõ", "öù", "öï"),
    "y": ("y", "yø", "yû", "yõ", "yù", "î"),
}
_VNI_D = "ñ"


def _vni_letter_to_sequence() -> dict[str, str]:
    table = {"đ": _VNI_D, "Đ": _VNI_D.upper()}
    for vowel, sequences in _VNI_LOWER.items():
        for tone, sequence in enumerate(sequences):
            if sequence.isascii():
                continue  # a plain vowel is itself
            letter = _toned(vowel, tone)
            table[letter] = sequence
            table[letter.upper()] = sequence.upper()
    return table


_VNI_ENCODE = _vni_letter_to_sequence()
_VNI_DECODE = {sequence: letter for letter, sequence in _VNI_ENCODE.items()}
# A capital base with a lowercase mark (or the reverse) takes the case of its base letter.
_VNI_DECODE.update(
    {
        sequence[0] + sequence[1:].swapcase(): letter
        for sequence, letter in list(_VNI_DECODE.items())
        if len(sequence) == 2
    }
)
_VNI_RE = re.compile("|".join(re.escape(s) for s in sorted(_VNI_DECODE, key=len, reverse=True)))
_VNI_HIGH_BYTES = frozenset(byte for byte in "".join(_VNI_DECODE).encode("cp1252") if byte >= 0x80)


# --- decoding ----------------------------------------------------------------------------------------


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode ``data`` from one of ``LEGACY_ENCODINGS`` to NFC text.

    Bytes the encoding leaves undefined become U+FFFD rather than an error: an old file with one stray
    byte is still worth reading. The caller decides the encoding (``detect_legacy`` can); this never
    guesses, and it must not be given valid UTF-8.
    """
    if encoding == "tcvn3":
        text = _decode_tcvn3(data)
    elif encoding == "vni":
        text = _VNI_RE.sub(lambda match: _VNI_DECODE[match.group()], data.decode("cp1252", errors="replace"))
    elif encoding == "cp1258":
        # Windows-1258 writes most tones as separate combining marks after the letter; NFC joins them.
        text = data.decode("cp1258", errors="replace")
    else:
        raise _unknown(encoding)
    text = unicodedata.normalize("NFC", text)
    return _restore_vntimeh_capitals(text) if encoding == "tcvn3" else text


def _unknown(encoding: str) -> ValueError:
    return ValueError(f"unknown legacy encoding {encoding!r}; expected one of {', '.join(LEGACY_ENCODINGS)}")


def _decode_tcvn3(data: bytes) -> str:
    text = data.decode("latin-1").translate(_TCVN3_DECODE)

    def letter_or_punctuation(match: re.Match[str]) -> str:
        start = match.start()
        if start > 0 and text[start - 1].isupper():
            return match.group()
        return _TCVN3_AMBIGUOUS[match.group()]

    return _TCVN3_AMBIGUOUS_RE.sub(letter_or_punctuation, text)


_WORD_RE = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=4096)
def _has_tone(char: str) -> bool:
    return any(mark in _TONE_MARK_SET for mark in unicodedata.normalize("NFD", char))


def _restore_vntimeh_capitals(text: str) -> str:
    """Uppercase the all-caps lines that were typed for a .VnTimeH font.

    .VnTimeH fonts draw every code as a capital, so headings were typed with capital ASCII letters but the
    lowercase codes for letters with tones (VN3 has no others): "CéNG HOµ" shows as CỘNG HOÀ. A word of
    two or more capitals holding such a lowercase toned letter cannot be correctly typed mixed case, so it
    marks its line as .VnTimeH; on that line every word without a lowercase plain letter is uppercased.
    Lowercase ASCII typed under .VnTimeH also showed as capitals; that cannot be told from real lowercase
    and stays as it is.
    """
    lines = text.split("\n")
    for index, line in enumerate(lines):
        words = list(_WORD_RE.finditer(line))
        if not any(_is_vntimeh_word(match.group()) for match in words):
            continue
        pieces, last = [], 0
        for match in words:
            word = match.group()
            cased = [char for char in word if char.isupper() or not _has_tone(char)]
            if all(char.isupper() for char in cased):
                word = word.upper()
            pieces.append(line[last : match.start()] + word)
            last = match.end()
        lines[index] = "".join(pieces) + line[last:]
    return "\n".join(lines)


def _is_vntimeh_word(word: str) -> bool:
    cased = [char for char in word if char.isupper() or not _has_tone(char)]
    lower_toned = any(char.islower() and _has_tone(char) for char in word)
    return lower_toned and len(cased) >= 2 and all(char.isupper() for char in cased)


# --- encoding ----------------------------------------------------------------------------------------


def encode_legacy(text: str, encoding: str) -> bytes:
    """Encode ``text`` in a legacy encoding with this module's tables: their inverse, for round trips.

    Raises ``ValueError`` for text the encoding cannot hold or that would not decode back to the same NFC
    text (for TCVN3, e.g. a capital with a tone at the start of a word where its byte reads as a quote).
    Windows-1258 output follows Windows: a precomposed letter where the code page has one, otherwise the
    letter without its tone followed by the combining tone mark.
    """
    text = unicodedata.normalize("NFC", text)
    if encoding == "tcvn3":
        data = b"".join(_encode_char(char, _tcvn3_char) for char in text)
    elif encoding == "vni":
        data = b"".join(_encode_char(char, _vni_char) for char in text)
    elif encoding == "cp1258":
        data = b"".join(_encode_char(char, _cp1258_char) for char in text)
    else:
        raise _unknown(encoding)
    decoded = decode_legacy(data, encoding)
    if decoded != text:
        at = next((i for i, (a, b) in enumerate(zip(decoded, text, strict=False)) if a != b), len(text))
        context = text[max(at - 10, 0) : at + 10]
        raise ValueError(f"{encoding} cannot hold {context!r} so that it reads back the same")
    return data


def _encode_char(char: str, encode: Callable[[str], bytes | None]) -> bytes:
    data = encode(char)
    if data is None:
        raise ValueError(f"{char!r} (U+{ord(char):04X}) has no code in this encoding")
    return data


def _tcvn3_char(char: str) -> bytes | None:
    if char.isascii():
        return None if ord(char) in _TCVN3_CONTROL_LETTERS else char.encode("ascii")
    byte = _TCVN3_ENCODE.get(char)
    return None if byte is None else bytes([byte])


def _vni_char(char: str) -> bytes | None:
    if char.isascii():
        return char.encode("ascii")
    if char in _VNI_ENCODE:
        return _VNI_ENCODE[char].encode("cp1252")
    try:
        data = char.encode("cp1252")
    except UnicodeEncodeError:
        return None
    return None if data[0] in _VNI_HIGH_BYTES else data  # a mark byte would join the letter before it


def _cp1258_char(char: str) -> bytes | None:
    try:
        return char.encode("cp1258")
    except UnicodeEncodeError:
        pass
    decomposed = unicodedata.normalize("NFD", char)
    tones = [mark for mark in decomposed if mark in _TONE_MARK_SET]
    if len(tones) != 1:
        return None
    # NFD puts a dot below before a hat ("ệ" is e, dot, circumflex): take the tone out, not the last mark.
    base = unicodedata.normalize("NFC", decomposed.replace(tones[0], ""))
    try:
        return base.encode("cp1258") + tones[0].encode("cp1258")
    except UnicodeEncodeError:
        return None


# --- detection ---------------------------------------------------------------------------------------

_SAMPLE_BYTES = 64 * 1024
_MIN_MARKED_WORDS = 5  # fewer words with diacritics than this is too little to judge by
_MIN_SCORE = 0.7
_MIN_MARGIN = 0.25


def _spaced(items: str) -> frozenset[str]:
    return frozenset(items.split())


_ONSETS = _spaced("b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x")
_CODAS = ("", "c", "ch", "m", "n", "ng", "nh", "p", "t")
_STOP_CODAS = _spaced("c ch p t")
# Vowel nuclei by whether a final consonant may, must or must not follow.
_OPEN_OR_CLOSED = _spaced("a e ê i o ô ơ u ư oa oe uê uy")
_CLOSED_ONLY = _spaced("ă â oă uâ iê yê uô ươ uyê oo")
_OPEN_ONLY = _spaced(
    "y uơ ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu "
    "oai oay oao oeo uây uôi uya uyu ươi ươu iêu yêu"
)
_NUCLEI = _OPEN_OR_CLOSED | _CLOSED_ONLY | _OPEN_ONLY
_FRONT = ("e", "ê", "i", "y")
# Word separators: whitespace, ASCII punctuation and digits, and the typographic punctuation of Vietnamese
# text. Symbols such as "µ" or "·" are kept inside words on purpose: they are what a wrong decoding makes.
_SEPARATORS_RE = re.compile(r"[\s!-@\[-`{-~\u00a0“”‘’–—…•«»]+")


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` is a well-formed Vietnamese syllable, in any case and either tone placement.

    Onset + vowel nucleus + final consonant, at most one tone, and the spelling rules that a misdecoded
    word breaks most often: c/k, g/gh and ng/ngh before front vowels, ch/nh only after front vowels, and
    only sắc or nặng before -c, -ch, -p, -t. Loose enough for every real syllable (rare ones such as
    "xoong" included), strict enough that a wrong decoding fails most of its words.
    """
    if not word or not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
        return False
    return _is_syllable(word.lower())


@lru_cache(maxsize=65536)
def _is_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [char for char in decomposed if char in _TONE_MARK_SET]
    if len(tones) > 1:
        return False
    tone = tones[0] if tones else ""
    base = unicodedata.normalize("NFC", "".join(char for char in decomposed if char not in _TONE_MARK_SET))
    onsets = [onset for onset in _ONSETS if base.startswith(onset)] + [""]
    for onset in onsets:
        rest = base[len(onset) :]
        for coda in _CODAS:
            if coda and not rest.endswith(coda):
                continue
            nucleus = rest[: len(rest) - len(coda)]
            if _well_formed(onset, nucleus, coda, tone):
                return True
    return False


def _well_formed(onset: str, nucleus: str, coda: str, tone: str) -> bool:
    if nucleus not in _NUCLEI:
        return False
    if (coda and nucleus in _OPEN_ONLY) or (not coda and nucleus in _CLOSED_ONLY):
        return False
    if coda in _STOP_CODAS and tone not in (_TONE_MARKS[_SAC], _TONE_MARKS[_NANG]):
        return False
    front_final = nucleus.endswith(("a", "ê", "i", "y"))
    if coda in ("ch", "nh") and not front_final:
        return False
    if coda in ("c", "ng") and nucleus in ("i", "uy"):  # "ích", "inh", "huých", never "ic", "ing"
        return False
    front = nucleus.startswith(_FRONT)
    if onset == "k" and not front:
        return False
    if onset == "c" and front:
        return False
    if onset in ("gh", "ngh") and not front:
        return False
    if onset in ("g", "ng") and nucleus.startswith(("e", "ê")):
        return False
    return not (onset == "ng" and nucleus.startswith(("i", "y")))


def _words(text: str) -> Iterable[str]:
    return (word for word in _SEPARATORS_RE.split(text) if word)


def _score(text: str) -> tuple[float, int]:
    """(share of marked words that are Vietnamese syllables, number of marked words).

    Only words with a non-ASCII character count: plain ASCII words read the same in every candidate, so
    they would only dilute the difference between them.
    """
    marked = [word for word in _words(text) if not word.isascii()]
    if not marked:
        return 0.0, 0
    return sum(is_vietnamese_syllable(word) for word in marked) / len(marked), len(marked)


def legacy_scores(data: bytes) -> dict[str, float]:
    """How Vietnamese ``data`` looks in each legacy encoding (0..1), for messages and for tuning."""
    sample = data[:_SAMPLE_BYTES]
    return {encoding: _score(decode_legacy(sample, encoding))[0] for encoding in LEGACY_ENCODINGS}


def detect_legacy(data: bytes) -> str | None:
    """The legacy encoding ``data`` is most likely in, or None when none is convincing.

    None for anything that decodes as UTF-8 (plain ASCII included): such bytes are never legacy text here,
    so this cannot turn valid UTF-8 into mojibake. Otherwise the best candidate needs at least
    ``_MIN_MARKED_WORDS`` words with diacritics, ``_MIN_SCORE`` of them real syllables, and a lead of
    ``_MIN_MARGIN`` over the runner-up; UTF-16 is not considered (``decode_text`` handles it before).
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    sample = data[:_SAMPLE_BYTES]
    results = sorted(
        ((*_score(decode_legacy(sample, encoding)), encoding) for encoding in LEGACY_ENCODINGS), reverse=True
    )
    (best, marked, encoding), (runner_up, _, _) = results[0], results[1]
    if marked < _MIN_MARKED_WORDS or best < _MIN_SCORE or best - runner_up < _MIN_MARGIN:
        return None
    return encoding
