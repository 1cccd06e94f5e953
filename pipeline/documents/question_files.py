"""Reading questions from a file: plain text (one question a line) or JSON Lines with a ``question`` field."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.core.errors import VidocError
from pipeline.documents.text_decoding import decode_text


def read_questions(path: Path) -> list[str]:
    """Questions in file order; blank lines are skipped; a file with none is an error."""
    source = str(path)
    if not path.is_file():
        raise VidocError(
            f"{source}: no such questions file.", "Pass a .txt (one question a line) or .jsonl file."
        )
    try:
        text = decode_text(path.read_bytes(), source)
    except OSError as error:
        raise VidocError(f"{source}: cannot read the questions file ({error.strerror}).") from None
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    is_jsonl = path.suffix.lower() in {".jsonl", ".json"} or bool(lines and lines[0][1].startswith("{"))
    questions = (
        [_from_json(line, number, source) for number, line in lines] if is_jsonl else [q for _, q in lines]
    )
    if not questions:
        raise VidocError(f"{source}: the questions file has no questions.", "Write one question a line.")
    return questions


def _from_json(line: str, number: int, source: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        raise VidocError(
            f"{source}:{number}: not valid JSON.", "Each line must be an object with 'question'."
        ) from None
    question = record.get("question") if isinstance(record, dict) else None
    if not isinstance(question, str) or not question.strip():
        raise VidocError(f"{source}:{number}: no 'question' text in this line.", 'Write {"question": "..."}.')
    return question.strip()
