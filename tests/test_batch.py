"""``vidoc batch`` with the local engine: formats, resume, broken input, failures, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.make_corpus import make_corpus, write_corpus
from pipeline.batch.inputs import InvalidLine, Record, detect_input, iter_rows
from pipeline.batch.sink import errors_path, recover_output
from pipeline.core.errors import VidocError
from tests.conftest import ROOT, cli_in_fresh_python, run_cli


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def by_id(path: Path) -> dict[str, dict]:
    lines = read_lines(path)
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)), "an id was written twice"
    return {line["id"]: line for line in lines}


def write_ascii_jsonl(records: list[dict], path: Path) -> None:
    """JSON escapes, so a lone surrogate (text no UTF-8 file can hold) survives into the input."""
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="ascii")


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, str]]:
    return make_corpus(6, words=150)


@pytest.fixture(scope="module")
def jsonl_result(corpus, tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("jsonl")
    write_corpus(corpus, folder / "in.jsonl")
    result = run_cli("batch", str(folder / "in.jsonl"), "--output", str(folder / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert "6 done, 0 skipped" in result.stderr and "docs/s" in result.stderr
    return by_id(folder / "out.jsonl")


def test_jsonl_output_contract_and_same_summary_as_summarize(jsonl_result, corpus, tmp_path) -> None:
    assert set(jsonl_result) == {record["id"] for record in corpus}
    for line in jsonl_result.values():
        assert {"id", "summary", "model", "seconds", "sentences"} <= line.keys()
        assert line["summary"].strip() and line["model"].startswith("extractive")
    document = tmp_path / "doc.txt"
    document.write_text(corpus[2]["text"], encoding="utf-8")
    single = run_cli("summarize", str(document), "--json")
    assert single.returncode == 0, single.stderr
    expected = json.loads(single.stdout)
    assert jsonl_result[corpus[2]["id"]]["summary"] == expected["summary"]
    assert jsonl_result[corpus[2]["id"]]["sentences"] == expected["sentences"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_give_the_jsonl_summaries(suffix, corpus, jsonl_result, tmp_path) -> None:
    write_corpus(corpus, tmp_path / f"in{suffix}")
    result = run_cli("batch", str(tmp_path / f"in{suffix}"), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    lines = by_id(tmp_path / "out.jsonl")
    assert {key: line["summary"] for key, line in lines.items()} == {
        key: line["summary"] for key, line in jsonl_result.items()
    }


def test_folder_input_ids_are_relative_paths(corpus, jsonl_result, tmp_path) -> None:
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.txt").write_text(corpus[0]["text"], encoding="utf-8")
    (tmp_path / "docs" / "sub" / "b.md").write_text(corpus[1]["text"], encoding="utf-8")
    (tmp_path / "docs" / "binary.txt").write_bytes(bytes(range(256)) * 4)
    result = run_cli("batch", str(tmp_path / "docs"), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 1, result.stderr
    lines = by_id(tmp_path / "out.jsonl")
    assert set(lines) == {"a.txt", "sub/b.md"}
    assert lines["a.txt"]["summary"] == jsonl_result[corpus[0]["id"]]["summary"]
    (error,) = read_lines(tmp_path / "out.errors.jsonl")
    assert error["id"] == "binary.txt" and "binary" in error["error"]


def test_encoding_option_reads_a_folder_file_and_is_refused_for_rows(jsonl_result, tmp_path) -> None:
    """A TCVN3 note too short to be detected is read because ``--encoding`` names it; the record says
    so, as ``vidoc summarize --json`` does (JSONL rows, text already, have ``"encoding": null``)."""
    from pipeline.documents.legacy_encodings import detect_legacy, encode_legacy

    note = "Trời mưa to.\n\nĐường ngập."
    data = encode_legacy(note, "tcvn3")
    assert detect_legacy(data) is None  # without --encoding this file is a failure (undecodable)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "cũ.txt").write_bytes(data)
    output = tmp_path / "out.jsonl"
    result = run_cli("batch", str(tmp_path / "docs"), "--output", str(output), "--encoding", "tcvn3")
    assert result.returncode == 0, result.stderr
    (line,) = read_lines(output)
    assert (line["id"], line["encoding"]) == ("cũ.txt", "tcvn3")
    assert line["summary"] == "Trời mưa to. Đường ngập."
    assert {line["encoding"] for line in jsonl_result.values()} == {None}
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "Trời mưa."}\n', encoding="utf-8")
    rows = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output), "--encoding", "vni")
    assert rows.returncode == 2 and "--encoding applies to a folder of documents" in rows.stderr
    assert len(read_lines(output)) == 1  # refused before any work


def test_resume_skips_done_ids_and_truncates_a_half_line(corpus, jsonl_result, tmp_path) -> None:
    write_corpus(corpus, tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    first_two = [jsonl_result[record["id"]] for record in corpus[:2]]
    half = json.dumps(jsonl_result[corpus[2]["id"]], ensure_ascii=False)[:40]
    output.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in first_two) + half, encoding="utf-8"
    )
    result = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert "removed a half-written last line" in result.stderr
    assert "4 done, 2 skipped" in result.stderr
    lines = by_id(output)
    assert set(lines) == set(jsonl_result)
    assert lines[corpus[2]["id"]]["summary"] == jsonl_result[corpus[2]["id"]]["summary"]
    again = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert again.returncode == 0 and "0 done, 6 skipped" in again.stderr
    assert len(read_lines(output)) == 6


def test_recover_output_refuses_a_broken_middle_line(tmp_path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_text('{"id": "a", "summary": "x"}\nnot json\n{"id": "b", "summary": "y"}\n')
    with pytest.raises(VidocError, match="line 2"):
        recover_output(output)
    output.write_text('{"id": "a", "summary": "x"}\n{"id": "b", "sum')
    recovered = recover_output(output)
    assert recovered.done == {"a"} and recovered.truncated_bytes == len('{"id": "b", "sum')
    assert output.read_text() == '{"id": "a", "summary": "x"}\n'
    assert errors_path(output).name == "out.errors.jsonl"


def test_duplicate_ids_end_the_run_naming_them(tmp_path) -> None:
    records = [
        {"id": "a", "text": "x"},
        {"id": "b", "text": "y"},
        {"id": "a", "text": "z"},
        {"id": 7, "text": "w"},
    ]
    records.append({"id": "7", "text": "v"})
    write_corpus(records, tmp_path / "in.jsonl")
    result = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 2
    assert "duplicate ids: 'a' ×2, '7' ×2" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_broken_line_stops_the_run_unless_skip_invalid(corpus, tmp_path) -> None:
    lines = [json.dumps(record, ensure_ascii=False) for record in corpus[:3]]
    lines.insert(2, '{"id": "broken", "text": "no closing quote}')
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl")]
    result = run_cli(*args)
    assert result.returncode == 2
    assert "in.jsonl: line 3: not valid JSON" in result.stderr and "--skip-invalid" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
    skipped = run_cli(*args, "--skip-invalid")
    assert skipped.returncode == 1, skipped.stderr
    assert "3 done" in skipped.stderr and "1 invalid lines skipped" in skipped.stderr
    assert set(by_id(tmp_path / "out.jsonl")) == {record["id"] for record in corpus[:3]}
    (error,) = read_lines(tmp_path / "out.errors.jsonl")
    assert error["id"] is None and error["line"] == 3 and "not valid JSON" in error["error"]


def test_failed_documents_go_to_the_errors_file_and_are_retried(corpus, tmp_path) -> None:
    records = [*corpus[:2], {"id": "empty", "text": "   "}, {"id": "null", "text": None}]
    records.append({"id": "lone-surrogate", "text": "Tin \udc80 tức."})
    write_ascii_jsonl(records, tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    result = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert result.returncode == 1, result.stderr
    assert "2 done, 0 skipped, 3 failed" in result.stderr and "out.errors.jsonl" in result.stderr
    errors = {entry["id"]: entry["error"] for entry in read_lines(errors_path(output))}
    assert errors == {"empty": "empty text", "null": "empty text", "lone-surrogate": errors["lone-surrogate"]}
    assert errors["lone-surrogate"].startswith("undecodable text")
    assert set(by_id(output)) == {record["id"] for record in corpus[:2]}
    records[2] = {"id": "empty", "text": corpus[3]["text"]}  # fixed in the input: retried and done
    write_ascii_jsonl(records, tmp_path / "in.jsonl")
    rerun = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert rerun.returncode == 1
    assert "1 done, 2 skipped, 2 failed" in rerun.stderr
    assert {entry["id"] for entry in read_lines(errors_path(output))} == {"null", "lone-surrogate"}
    write_corpus(records[:3], tmp_path / "in.jsonl")  # the failing ones removed from the input
    final = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert final.returncode == 0, final.stderr
    assert not errors_path(output).exists()


def test_input_readers_stream_rows_with_line_numbers(tmp_path) -> None:
    (tmp_path / "in.csv").write_text('id,text\n1,"một\nhai"\n2,ba,extra\n\n007,bốn\n', encoding="utf-8")
    rows = list(iter_rows(detect_input(tmp_path / "in.csv")))
    assert rows == [
        Record("1", "một\nhai", 2),
        InvalidLine(4, "3 columns where the header has 2", "2"),
        Record("007", "bốn", 6),
    ]
    (tmp_path / "in.tsv").write_text("x")
    with pytest.raises(VidocError, match="cannot tell the input format"):
        detect_input(tmp_path / "in.tsv")
    (tmp_path / "cols.csv").write_text("key,body\n1,x\n")
    with pytest.raises(VidocError, match="no column 'id', 'text'"):
        list(iter_rows(detect_input(tmp_path / "cols.csv")))
    rows = list(iter_rows(detect_input(tmp_path / "cols.csv", id_column="key", text_column="body")))
    assert rows == [Record("1", "x", 2)]


@pytest.mark.parametrize(
    ("engine", "signum"),
    [
        ("local", signal.SIGTERM),
        ("local", signal.SIGINT),
        pytest.param("ray", signal.SIGTERM, marks=pytest.mark.slow),
    ],
)
def test_a_signal_finishes_the_batch_in_hand_and_a_rerun_completes(engine, signum, tmp_path) -> None:
    if engine == "ray":
        pytest.importorskip("ray.data", reason="the ray extra is not installed")
    records = make_corpus(300, words=120)
    write_corpus(records, tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(output), "--engine", engine]
    command = [sys.executable, "-m", "pipeline", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if output.exists() and output.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before it could be stopped"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr
    assert f"stopped by {signal.Signals(signum).name}" in stderr and "run the same command again" in stderr
    partial = read_lines(output)  # every line whole JSON, or this raises
    assert 0 < len(partial) < 300
    rerun = run_cli(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{300 - len(partial)} done, {len(partial)} skipped" in rerun.stderr
    lines = by_id(output)
    assert set(lines) == {record["id"] for record in records}
    assert all(line["summary"].strip() for line in lines.values())


def test_local_batch_never_imports_ray(corpus, tmp_path) -> None:
    write_corpus(corpus[:1], tmp_path / "in.jsonl")
    _, heavy = cli_in_fresh_python("batch", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "o.jsonl"))
    assert heavy == []


class _PickySummariser:
    """Stands in for any configured summariser (ViT5 included): fails on one text, and records batches."""

    model_id = "picky"

    def warm_up(self) -> None:
        pass

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def summarise(self, documents):
        from pipeline.core.protocols import Summary

        self.batches.append([document.source for document in documents])
        if any("QUÁ DÀI" in document.text for document in documents):
            raise ValueError("input too long and cannot be chunked")
        return [Summary(document.sentences[0].text, self.model_id) for document in documents]


def test_batch_function_isolates_a_failing_document_and_sorts_by_length(corpus) -> None:
    from pipeline.batch.batch_function import summarise_records
    from pipeline.core.config import load_config

    config = load_config(None, {"summariser": {"batch_size": 3}})
    texts = {
        "long": corpus[0]["text"],
        "short": corpus[1]["text"][:300],
        "bad": "QUÁ DÀI. " + corpus[2]["text"],
    }
    texts |= {"mid": corpus[3]["text"][:900], "blank": " \n "}
    records = [(key, text, None) for key, text in texts.items()]
    summariser = _PickySummariser()
    outcomes = summarise_records(records, [len(text) for text in texts.values()], config, summariser)
    by_key = {outcome.id: outcome for outcome in outcomes}
    assert by_key["bad"].error == "ValueError: input too long and cannot be chunked"
    assert by_key["blank"].error == "empty text"
    assert {key for key, outcome in by_key.items() if outcome.ok} == {"long", "short", "mid"}
    assert by_key["short"].record["summary"] and by_key["short"].record["model"] == "picky"
    # Length-sorted batches of 3 (the blank one never reaches the summariser); the batch holding the
    # failing document is retried one document at a time, so its neighbours still get summaries.
    assert summariser.batches[0] == ["short", "mid"]
    assert summariser.batches[1:] == [["long", "bad"], ["long"], ["bad"]]


class _SilentSummariser:
    """A model that writes nothing for a text that has sentences (it happens with a badly tuned ViT5)."""

    model_id = "silent-vit5"

    def warm_up(self) -> None:
        pass

    def summarise(self, documents):
        from pipeline.core.protocols import Summary

        return [Summary("", self.model_id) for _ in documents]


def test_an_empty_model_summary_is_reported_as_the_model_s_not_the_document_s(corpus) -> None:
    from pipeline.batch.batch_function import summarise_records
    from pipeline.core.config import load_config

    records = [("real", corpus[0]["text"], None)]
    (outcome,) = summarise_records(records, [1], load_config(None), _SilentSummariser())
    assert outcome.error == "the model produced an empty summary (silent-vit5)"


class _BrokenModelSummariser:
    """Summarises the first batch, then fails the way a model that cannot be set up does."""

    model_id = "broken"

    def warm_up(self) -> None:
        pass

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def summarise(self, documents):
        from pipeline.core.protocols import Summary

        self.calls += 1
        if self.calls > 1:
            raise self.error
        return [Summary(document.sentences[0].text, self.model_id) for document in documents]


@pytest.mark.parametrize(
    "error", [VidocError("model 'x' is not downloaded.", "Run vidoc models pull."), ImportError("no ct2")]
)
def test_a_model_setup_error_ends_the_run_once(error, corpus, tmp_path, monkeypatch, capsys) -> None:
    import models.factory
    from pipeline.cli import main

    monkeypatch.setattr(models.factory, "build_summariser", lambda *a, **k: _BrokenModelSummariser(error))
    write_corpus(corpus, tmp_path / "in.jsonl")
    (tmp_path / "c.yaml").write_text("summariser:\n  batch_size: 2\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(tmp_path / "in.jsonl"), "-o", str(output), "-c", str(tmp_path / "c.yaml")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("vidoc: error:") == 1 and ("not downloaded" in err or "no ct2" in err)
    assert len(by_id(output)) == 2  # the batch done before the error stays written
    assert not errors_path(output).exists()


def test_output_that_is_the_input_or_its_errors_file_is_refused(corpus, tmp_path) -> None:
    write_corpus(corpus[:2], tmp_path / "in.jsonl")
    before = (tmp_path / "in.jsonl").read_bytes()
    same = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "sub" / ".." / "in.jsonl"))
    assert same.returncode == 2 and "the output is the input file" in same.stderr
    write_corpus(corpus[:2], tmp_path / "x.errors.jsonl")
    errors = run_cli("batch", str(tmp_path / "x.errors.jsonl"), "--output", str(tmp_path / "x.jsonl"))
    assert errors.returncode == 2 and "would overwrite it" in errors.stderr
    assert "Traceback" not in same.stderr + errors.stderr
    assert (tmp_path / "in.jsonl").read_bytes() == before and not (tmp_path / "x.jsonl").exists()


def test_a_second_run_on_the_same_output_is_refused(corpus, tmp_path) -> None:
    import fcntl

    write_corpus(corpus[:2], tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    output.write_text('{"id": "kept", "summary": "x"}\n', encoding="utf-8")
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(output)]
    with (tmp_path / "out.jsonl.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = run_cli(*args)
    assert refused.returncode == 2, refused.stderr
    assert f"another vidoc batch is writing {output}" in refused.stderr
    assert output.read_text(encoding="utf-8") == '{"id": "kept", "summary": "x"}\n'
    assert (tmp_path / "out.jsonl.lock").exists()
    after = run_cli(*args)  # the lock released: the run goes ahead and keeps what was there
    assert after.returncode == 0, after.stderr
    assert set(by_id(output)) == {"kept", corpus[0]["id"], corpus[1]["id"]}


def test_a_half_written_errors_line_is_cut_before_new_failures(corpus, tmp_path) -> None:
    from pipeline.batch.sink import recover_errors

    records = [corpus[0], {"id": "empty", "text": " "}]
    write_corpus(records, tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    errors_path(output).write_text('{"id": "old", "error": "x"}\n{"id": "empty", "err', encoding="utf-8")
    result = run_cli("batch", str(tmp_path / "in.jsonl"), "--output", str(output))
    assert result.returncode == 1, result.stderr
    assert read_lines(errors_path(output)) == [{"id": "empty", "error": "empty text"}]
    errors_path(output).write_text('{"id": "a"}\n', encoding="utf-8")
    assert recover_errors(errors_path(output)) == 0
    errors_path(output).write_text('{"id": "a"', encoding="utf-8")
    assert recover_errors(errors_path(output)) == len('{"id": "a"')
    assert errors_path(output).read_text(encoding="utf-8") == ""


def test_an_id_that_is_not_utf8_is_an_invalid_line(corpus, tmp_path) -> None:
    records = [corpus[0], {"id": "bad-\ud800", "text": corpus[1]["text"]}]
    write_ascii_jsonl(records, tmp_path / "in.jsonl")
    (tmp_path / "in.csv").write_bytes(b"id,text\nok,x\nbad-\xff,y\n")
    rows = list(iter_rows(detect_input(tmp_path / "in.csv")))
    assert rows[0] == Record("ok", "x", 2)
    assert isinstance(rows[1], InvalidLine) and "not valid UTF-8" in rows[1].reason
    output = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(output)]
    stopped = run_cli(*args)
    assert stopped.returncode == 2 and "line 2: 'id'" in stopped.stderr and "Traceback" not in stopped.stderr
    skipped = run_cli(*args, "--skip-invalid")
    assert skipped.returncode == 1, skipped.stderr
    assert "1 done" in skipped.stderr and "1 invalid lines skipped" in skipped.stderr
    (error,) = read_lines(errors_path(output))
    assert error["line"] == 2 and "not valid UTF-8" in error["error"]


def test_a_stop_requested_before_the_first_batch_runs_none(corpus, tmp_path) -> None:
    import signal as signals

    from pipeline.batch.local_engine import run_local
    from pipeline.batch.runs import batch_progress, finish_run, open_run
    from pipeline.batch.signals import StopRequest
    from pipeline.core.config import load_config

    write_corpus(corpus, tmp_path / "in.jsonl")
    run = open_run(detect_input(tmp_path / "in.jsonl"), tmp_path / "out.jsonl", False)
    stop = StopRequest()
    stop.signum = signals.SIGTERM  # as if SIGTERM arrived while the model was loading
    summariser = _PickySummariser()
    with batch_progress(run.pending) as (progress, task):
        run_local(run, load_config(), summariser, stop, progress, task)
    assert summariser.batches == []
    report = finish_run(run, stop, time.perf_counter())
    assert report.exit_code == 143 and report.remaining == len(corpus)
