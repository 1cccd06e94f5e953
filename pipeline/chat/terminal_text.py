"""Document text made safe to print on a terminal.

A document (or a file name) can hold terminal escape sequences: ``ESC[2J`` clears the screen, ``ESC]0;…BEL``
sets the window title, C1 codes such as U+009B start a sequence on their own, and bidi overrides make a
line read differently from what it holds. Printed as they are, these act on the reader's terminal
instead of being read. Every path that prints document text to a terminal passes it through
``terminal_safe`` first; ``--json`` output keeps the exact text (``json_line``).
"""

from __future__ import annotations

import json
import re

# Bidi embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069): "Trojan Source" reordering.
_BIDI = "\u202a-\u202e\u2066-\u2069"
# C0 controls except tab and newline (layout needs them), DEL, C1 controls, bidi controls; a carriage
# return is only unsafe alone (it moves the cursor back over the line), not as part of a CRLF line end.
_UNSAFE = re.compile(f"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
# What ``json.dumps(ensure_ascii=False)`` leaves raw: DEL, C1 and bidi controls (it escapes C0 itself).
_RAW_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")


def _visible(match: re.Match[str]) -> str:
    """``\\x1b`` for a control byte, ``\\u202e`` for a bidi control: what it is, in plain characters."""
    code = ord(match.group()[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character that could act on a terminal written out visibly.

    Tabs and newlines stay (answers and passages are laid out with them); CRLF line ends become LF.
    """
    return _UNSAFE.sub(_visible, text).replace("\r\n", "\n")


def json_line(record: object) -> str:
    """One JSON line whose strings decode to the exact original text, with no raw control character in
    it: C0 is escaped by ``json.dumps`` already, DEL, C1 and bidi controls are escaped here as ``\\uXXXX``
    (they can only occur inside JSON strings, so escaping them keeps the JSON valid and the text equal)."""
    dumped = json.dumps(record, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", dumped)
