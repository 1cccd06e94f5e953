"""``vidoc batch`` against hostile paths and inputs (issue 18): symbolic links, stray quotes, full
disks, device outputs, and an output inside the folder being read."""

from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path

import pytest

from benchmarks.make_corpus import make_corpus, write_corpus
from pipeline.batch.inputs import InvalidLine, Record, detect_input, iter_rows
from pipeline.batch.sink import errors_path, lock_path
from tests.conftest import run_cli
from tests.test_batch import by_id, read_lines


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, str]]:
    return make_corpus(6, words=150)


def test_a_symlinked_output_takes_the_lock_of_the_file_it_points_to(corpus, tmp_path) -> None:
    from pipeline.batch.runs import lock_output

    write_corpus(corpus[:2], tmp_path / "in.jsonl")
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    real.write_text('{"id": "kept", "summary": "x"}\n', encoding="utf-8")
    link.symlink_to(real.name)
    assert lock_path(link) == lock_path(real) == (tmp_path / "real.jsonl.lock").resolve()
    with (tmp_path / "real.jsonl.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        through_link = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(link))
    assert through_link.returncode == 2, through_link.stderr
    assert f"another vidoc batch is writing {link}" in through_link.stderr
    assert not (tmp_path / "link.jsonl.lock").exists()
    held_by_link = lock_output(link)  # and the other way round: a run through the link holds the real lock
    try:
        direct = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(real))
    finally:
        held_by_link.close()
    assert direct.returncode == 2 and "another vidoc batch is writing" in direct.stderr
    assert real.read_text(encoding="utf-8") == '{"id": "kept", "summary": "x"}\n'


def test_a_folder_refuses_symlinks_out_of_it_unless_follow_symlinks(corpus, tmp_path) -> None:
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    (docs / "a.txt").write_text(corpus[0]["text"], encoding="utf-8")
    (docs / "inside.md").symlink_to("a.txt")  # stays in the folder: read
    (outside / "secret.txt").write_text(corpus[1]["text"], encoding="utf-8")
    (outside / "absolute.txt").write_text(corpus[2]["text"], encoding="utf-8")
    (docs / "escape.txt").symlink_to(Path("..") / "outside" / "secret.txt")
    (docs / "host.txt").symlink_to(outside / "absolute.txt")
    output = tmp_path / "out.jsonl"
    result = run_cli("batch", str(docs), "--output", str(output))
    assert result.returncode == 1, result.stderr
    assert "2 done, 0 skipped, 2 failed" in result.stderr and "Traceback" not in result.stderr
    assert set(by_id(output)) == {"a.txt", "inside.md"}
    errors = {entry["id"]: entry["error"] for entry in read_lines(errors_path(output))}
    assert set(errors) == {"escape.txt", "host.txt"}
    assert str((outside / "secret.txt").resolve()) in errors["escape.txt"]
    assert all("outside the folder" in error and "--follow-symlinks" in error for error in errors.values())
    again = run_cli("batch", str(docs), "--output", str(output))  # still refused, still one entry each
    assert again.returncode == 1 and "0 done, 2 skipped, 2 failed" in again.stderr
    assert len(read_lines(errors_path(output))) == 2
    followed = run_cli("batch", str(docs), "--output", str(output), "--follow-symlinks")
    assert followed.returncode == 0, followed.stderr
    assert "2 done, 2 skipped, 0 failed" in followed.stderr
    assert set(by_id(output)) == {"a.txt", "inside.md", "escape.txt", "host.txt"}
    assert not errors_path(output).exists()


def _csv_without_quotes(records: list[dict[str, str]]) -> list[str]:
    """Rows that need no quoting, so a stray quote before them can only run to the end of the file."""
    plain = {r["id"]: " ".join(r["text"].replace(",", " ").replace('"', " ").split()) for r in records}
    return [f"{key},{text}" for key, text in plain.items()]


def test_an_unterminated_csv_quote_is_a_broken_line_not_swallowed_records(corpus, tmp_path) -> None:
    rows = _csv_without_quotes(corpus)
    rows.insert(3, 'broken,"Tin này mở ngoặc kép mà không đóng')
    (tmp_path / "in.csv").write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.csv"), "--output", str(output)]
    stopped = run_cli(*args)
    assert stopped.returncode == 2, stopped.stderr
    assert "in.csv: line 5: unterminated quote" in stopped.stderr
    assert "--skip-invalid" in stopped.stderr and "Traceback" not in stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 2  # the message and its fix
    assert not output.exists()
    skipped = run_cli(*args, "--skip-invalid")
    assert skipped.returncode == 1, skipped.stderr
    assert "6 done" in skipped.stderr and "1 invalid lines skipped" in skipped.stderr
    assert set(by_id(output)) == {record["id"] for record in corpus}
    (error,) = read_lines(errors_path(output))
    assert error["id"] == "broken" and error["line"] == 5 and "unterminated quote" in error["error"]


def test_the_csv_reader_names_the_line_the_quote_opened_on_and_reads_on(tmp_path) -> None:
    (tmp_path / "in.csv").write_text('id,text\n1,"a\nb"\n2,"x\ny\n3,z\n', encoding="utf-8")
    rows = list(iter_rows(detect_input(tmp_path / "in.csv")))
    assert rows[0] == Record("1", "a\nb", 2)
    assert isinstance(rows[1], InvalidLine) and rows[1].line == 4 and rows[1].id == "2"
    assert rows[1].reason.startswith("unterminated quote")
    assert rows[2:] == [InvalidLine(5, "1 columns where the header has 2", "y"), Record("3", "z", 6)]
    (tmp_path / "last.csv").write_text('id,text\n1,a\n"2,b', encoding="utf-8")  # no id to read
    *_, last = iter_rows(detect_input(tmp_path / "last.csv"))
    assert isinstance(last, InvalidLine) and last.line == 3 and last.id is None
    (tmp_path / "header.csv").write_text('id,"text\n1,a\n', encoding="utf-8")
    with pytest.raises(Exception, match="line 1: the header has an unterminated quote"):
        list(iter_rows(detect_input(tmp_path / "header.csv")))


def test_invalid_lines_keep_their_id_in_the_errors_file(corpus, tmp_path) -> None:
    lines = [json.dumps(record, ensure_ascii=False) for record in corpus[:2]]
    lines += ['{"id": "no-text"}', '{"id": 7, "text": ["not", "a", "string"]}', '{"id": "cut", "text": "x']
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(output), "--skip-invalid"]
    for _ in range(2):  # a rerun records the same broken lines once each, ids kept
        result = run_cli(*args)
        assert result.returncode == 1, result.stderr
        assert "3 invalid lines skipped" in result.stderr
        errors = {entry["line"]: entry["id"] for entry in read_lines(errors_path(output))}
        assert errors == {3: "no-text", 4: "7", 5: None}  # a line that is not JSON has no id to read


def _fail_writes_to(name: str, after: int, monkeypatch) -> None:
    """Make the ``after + 1``-th write to a file called ``name`` write half its bytes, then hit ENOSPC."""
    import pipeline.core.files as files

    real = files.write_all
    seen = {"writes": 0}

    def write_all(fd: int, payload: bytes) -> None:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name == name:
            seen["writes"] += 1
            if seen["writes"] > after:
                os.write(fd, payload[: len(payload) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, payload)

    monkeypatch.setattr(files, "write_all", write_all)


@pytest.mark.parametrize(("name", "after"), [("out.jsonl", 1), ("out.errors.jsonl.tmp", 0)])
def test_a_full_disk_ends_the_run_in_one_line_and_loses_nothing(
    name, after, corpus, tmp_path, monkeypatch, capsys
) -> None:
    from pipeline.cli import main

    records = [*corpus, {"id": "empty", "text": " "}]
    write_corpus(records, tmp_path / "in.jsonl")
    (tmp_path / "c.yaml").write_text("summariser:\n  batch_size: 2\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "-o", str(output), "-c", str(tmp_path / "c.yaml")]
    _fail_writes_to(name, after, monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        main(args)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    failed = output if name == "out.jsonl" else errors_path(output)
    assert err.count("vidoc: error:") == 1 and "Traceback" not in err and "internal error" not in err
    assert f"{failed}: cannot write the output (No space left on device)" in err
    assert "Free some disk space" in err
    assert output.read_bytes().endswith(b"\n")  # whole lines only: the failed write was cut back
    written = by_id(output)
    assert 0 < len(written) < len(corpus) if name == "out.jsonl" else len(written) == len(corpus)
    assert read_lines(errors_path(output)) == [{"id": "empty", "error": "empty text"}]
    assert not errors_path(output).with_name("out.errors.jsonl.tmp").exists()
    monkeypatch.undo()
    rerun = run_cli(*args)  # the disk has room again: the run resumes, nothing twice
    assert rerun.returncode == 1, rerun.stderr
    assert f"{len(corpus) - len(written)} done, {len(written)} skipped, 1 failed" in rerun.stderr
    assert set(by_id(output)) == {record["id"] for record in corpus}


def test_an_output_that_is_not_a_regular_file_is_refused_up_front(corpus, tmp_path) -> None:
    write_corpus(corpus[:1], tmp_path / "in.jsonl")
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "null.jsonl").symlink_to(os.devnull)
    null_lock_before = Path(os.devnull + ".lock").exists()
    for output in (Path(os.devnull), tmp_path / "pipe.jsonl", tmp_path / "null.jsonl"):
        result = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
        assert result.returncode == 2, result.stderr
        assert f"{output}: the output is not a regular file" in result.stderr
        assert "--output" in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 2
        assert not output.with_name(output.name + ".lock").exists() or output == Path(os.devnull)
    assert Path(os.devnull + ".lock").exists() == null_lock_before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "null.jsonl", "pipe.jsonl"]


def test_an_output_inside_the_folder_input_is_not_read_back(corpus, tmp_path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for record in corpus[:3]:
        (docs / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    (docs / "empty.txt").write_text(" ", encoding="utf-8")  # a failure, so the errors file is there too
    output = docs / "out.txt"
    result = run_cli("batch", str(docs), "--output", str(output))
    assert result.returncode == 1, result.stderr
    assert "3 done, 0 skipped, 1 failed" in result.stderr  # four inputs: out.txt was not one of them
    again = run_cli("batch", str(tmp_path / "docs" / ".." / "docs"), "--output", str(output))
    assert again.returncode == 1, again.stderr
    assert "0 done, 3 skipped, 1 failed" in again.stderr
    assert set(by_id(output)) == {f"{record['id']}.txt" for record in corpus[:3]}
    assert [entry["id"] for entry in read_lines(errors_path(output))] == ["empty.txt"]
    from pipeline.batch.sink import run_files

    assert run_files(docs / "sub" / ".." / "out.txt") == {
        output.resolve(),
        errors_path(output).resolve(),
        lock_path(output),
    }
