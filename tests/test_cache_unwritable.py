"""A VIDOC_HOME that cannot be written (read-only, a regular file, a full disk): answers go on without
the cache and say so once; commands that need the folder stop with one clear error."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from pipeline.core import appdirs
from pipeline.core.appdirs import cache_dir
from pipeline.core.errors import VidocError
from pipeline.core.records import Document
from pipeline.flow.index import Index
from pipeline.flow.summarise import prepare

QUESTION = "Đảng bộ quận Thanh Xuân có bao nhiêu đảng viên?"


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch) -> None:
    """Each test sees the first warning of its process."""
    monkeypatch.setattr(appdirs, "_warned", set())


def _failing_write(code: int):
    def write(*args, **kwargs):
        raise OSError(
            code, {errno.ENOSPC: "No space left on device", errno.EROFS: "Read-only file system"}[code]
        )

    return write


@pytest.mark.parametrize(
    ("target", "code", "reason"),
    [
        ("numpy.save", errno.ENOSPC, "No space left on device"),  # the disk fills up mid-write
        ("tempfile.mkstemp", errno.EROFS, "Read-only file system"),  # nothing can be created
    ],
)
def test_index_is_built_without_the_cache_and_says_so_once(
    config, embedder, seed_text, tmp_path, monkeypatch, capsys, target, code, reason
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("VIDOC_HOME", str(home))
    monkeypatch.setattr(target, _failing_write(code))
    document = prepare(Document(seed_text, "seed.txt"), config)
    first = Index.build([document], embedder, config)
    second = Index.build(
        [document, prepare(Document("Một câu khác hẳn.", "b.txt"), config)], embedder, config
    )
    assert len(first) == len(document.passages) and len(second) == len(first) + 1
    assert first.vectors.shape[0] == len(first)
    (warning,) = capsys.readouterr().err.strip().splitlines()
    assert warning.startswith(f"vidoc: warning: {home / 'index'}: vidoc cannot write here ({reason}).")
    assert "Going on without the cache" in warning and "VIDOC_HOME" in warning
    assert not list((home / "index").glob("*.tmp")) and not list((home / "index").glob(".*.tmp"))


def test_home_that_is_a_file_means_no_cache_for_the_index(
    config, embedder, seed_text, tmp_path, monkeypatch, capsys
):
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    monkeypatch.setenv("VIDOC_HOME", str(home))
    index = Index.build([prepare(Document(seed_text, "seed.txt"), config)], embedder, config)
    assert len(index) > 0
    assert "Not a directory" in capsys.readouterr().err
    assert home.read_text(encoding="utf-8") == ""  # left as it was


def test_commands_that_need_the_folder_get_one_clear_error(tmp_path, monkeypatch) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("", encoding="utf-8")
    monkeypatch.setenv("VIDOC_HOME", str(home))
    with pytest.raises(VidocError) as error:
        cache_dir("ct2")
    assert error.value.message == f"{home / 'ct2'}: vidoc cannot write here (Not a directory)."
    assert "VIDOC_HOME" in str(error.value.hint) and error.value.exit_code == 2


def test_ask_on_a_full_disk_answers_and_exits_0(seed_path, tmp_path, monkeypatch, capsys) -> None:
    from pipeline.cli import main

    monkeypatch.setenv("VIDOC_HOME", str(tmp_path / "full"))
    monkeypatch.setattr(np, "save", _failing_write(errno.ENOSPC))
    with pytest.raises(SystemExit) as exit:
        main(["ask", str(seed_path), QUESTION, "--json"])
    assert not exit.value.code
    captured = capsys.readouterr()
    assert '"answer": "20.585 đảng viên"' in captured.out
    (warning,) = captured.err.strip().splitlines()
    assert "No space left on device" in warning
