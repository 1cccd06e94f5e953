"""``vidoc batch --engine ray``: same ids and summaries as the local engine, resume, failures, no-Ray message.

Each CLI run starts a local Ray instance (a few seconds), so the module shares runs between tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.make_corpus import make_corpus, write_corpus
from pipeline.cli import main
from tests.conftest import ROOT, run_cli


def needs_ray() -> None:
    pytest.importorskip("ray.data", reason="the ray extra is not installed")


def lines_by_id(path: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len({line["id"] for line in lines}), "an id was written twice"
    return {line["id"]: line for line in lines}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ray")
    records = [*make_corpus(10, words=150), {"id": "empty", "text": ""}]
    # Line and paragraph separators inside a JSON string must not split the JSONL line.
    records[3]["text"] = records[3]["text"].replace(". ", ".\u2028 ", 1).replace(". ", ".\x85 ", 1)
    write_corpus(records, folder / "in.jsonl")
    write_corpus(records, folder / "in.parquet")
    return folder


@pytest.fixture(scope="module")
def local_lines(inputs) -> dict[str, dict]:
    result = run_cli("batch", str(inputs / "in.jsonl"), "--output", str(inputs / "local.jsonl"))
    assert result.returncode == 1, result.stderr
    return lines_by_id(inputs / "local.jsonl")


def test_ray_resumes_records_failures_and_matches_local(inputs, local_lines) -> None:
    """One Ray start (~10 s idle, ~40 s on a shared 2-core machine): resume, failure, same summaries."""
    needs_ray()
    output = inputs / "ray-resume.jsonl"
    done = [local_lines[key] for key in sorted(local_lines)[:4]]
    output.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in done), encoding="utf-8")
    result = run_cli("batch", str(inputs / "in.jsonl"), "--output", str(output), "--engine", "ray")
    assert result.returncode == 1, result.stderr  # the empty document failed
    assert "6 done, 4 skipped, 1 failed" in result.stderr
    ray_lines = lines_by_id(output)
    assert all(ray_lines[line["id"]] == line for line in done)  # the done lines are left as they were
    assert {key: line["summary"] for key, line in ray_lines.items()} == {
        key: line["summary"] for key, line in local_lines.items()
    }
    errors = [json.loads(line) for line in (inputs / "ray-resume.errors.jsonl").read_text().splitlines()]
    assert errors == [{"id": "empty", "error": "empty text"}]


@pytest.mark.slow  # a Ray start
def test_ray_from_parquet_matches_local(inputs, local_lines) -> None:
    needs_ray()
    output = inputs / "ray.jsonl"
    args = ["batch", str(inputs / "in.parquet"), "--output", str(output), "--engine", "ray", "--workers", "2"]
    result = run_cli(*args)
    assert result.returncode == 1, result.stderr
    assert "10 done, 0 skipped, 1 failed" in result.stderr
    ray_lines = lines_by_id(output)
    assert {key: line["summary"] for key, line in ray_lines.items()} == {
        key: line["summary"] for key, line in local_lines.items()
    }


@pytest.mark.slow  # two Ray starts
def test_ray_parquet_output_folder_resumes_from_written_files(inputs, local_lines) -> None:
    import pyarrow.dataset as ds

    needs_ray()
    output = inputs / "parquet-out"
    args = ["batch", str(inputs / "in.jsonl"), "--output", f"{output}/", "--engine", "ray", "--workers", "1"]
    result = run_cli(*args)
    assert result.returncode == 1, result.stderr
    table = ds.dataset(output, format="parquet").to_table().to_pylist()
    summaries = {row["id"]: row["summary"] for row in table if row["error"] is None}
    assert summaries == {key: line["summary"] for key, line in local_lines.items()}
    assert [row["error"] for row in table if row["id"] == "empty"] == ["empty text"]
    again = run_cli(*args)
    assert again.returncode == 1 and "0 done, 10 skipped, 1 failed" in again.stderr


def test_missing_ray_extra_is_one_line(inputs, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(inputs / "in.jsonl"), "--output", str(inputs / "x.jsonl"), "--engine", "ray"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.strip() == "vidoc: error: --engine ray needs Ray: pip install -e '.[ray]'"


def test_parquet_output_needs_the_ray_engine(inputs, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["batch", str(inputs / "in.jsonl"), "--output", f"{inputs}/out-dir/"])
    assert stopped.value.code == 2
    assert "Parquet output (a folder or s3://) is written by Ray" in capsys.readouterr().err


def _vit5_on(device: str):
    from pipeline.core.config import load_config

    return load_config(None, {"summariser": {"kind": "vit5", "model": "vit5-base", "device": device}})


def test_actor_shape_puts_one_cuda_actor_per_gpu() -> None:
    from pipeline.batch.ray_engine import actor_shape
    from pipeline.core.config import load_config

    cluster = {"CPU": 33.0, "GPU": 4.0}
    cpus = {"CPU": 33.0}
    vit5 = load_config(None, {"summariser": {"kind": "vit5", "model": "vit5-base"}})  # device: auto
    assert actor_shape(vit5, cpus, None) == (32, 0)  # auto, no GPU: CPU actors
    assert actor_shape(vit5, cpus, 3) == (3, 0)
    assert actor_shape(vit5, cluster, None) == (4, 1)  # auto with GPUs: one per GPU
    assert actor_shape(load_config(), cluster, None) == (32, 0)  # the extractive default needs no GPU
    assert actor_shape(_vit5_on("cpu"), cluster, 3) == (3, 0)
    cuda = load_config(None, {"summariser": {"kind": "vit5", "model": "vit5-base", "device": "cuda"}})
    assert actor_shape(cuda, cluster, None) == (4, 1)
    assert actor_shape(cuda, cluster, 8) == (4, 1)  # capped at the GPU count
    assert actor_shape(_vit5_on("cuda:1"), cluster, 2) == (2, 1)


@pytest.mark.parametrize(("device", "gpus", "expected"), [("auto", 2.0, "cuda"), ("cuda:1", 2.0, "cuda")])
def test_a_gpu_actor_builds_on_cuda_whatever_the_config_says(device, gpus, expected, monkeypatch) -> None:
    from pipeline.batch import ray_engine
    from pipeline.core.config import load_config

    config = load_config(None, {"summariser": {"kind": "vit5", "model": "vit5-base", "device": device}})
    captured: dict = {}

    class FakeDataset:
        def map_batches(self, fn, **kwargs):
            captured.update(kwargs)
            return self

    class FakeRay:
        class data:  # stands in for the ray.data module
            ActorPoolStrategy = staticmethod(lambda size: size)

        @staticmethod
        def cluster_resources() -> dict[str, float]:
            return {"CPU": 8.0, "GPU": gpus}

    monkeypatch.setattr(ray_engine, "_read", lambda *args: FakeDataset())
    spec = ray_engine.InputSpec(Path("in.jsonl"), "jsonl")
    ray_engine._summaries(FakeRay, spec, set(), config, False, None)
    (config_data,) = captured["fn_constructor_args"]
    assert config_data["summariser"]["device"] == expected
    assert captured["num_gpus"] == 1 and captured["compute"] == int(gpus)


def test_a_half_written_parquet_file_is_named_not_read_as_empty(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.batch.ray_engine import _done_in_parquet, _failed_in_parquet
    from pipeline.core.errors import VidocError

    assert _done_in_parquet(str(tmp_path / "missing")) == set()
    folder = tmp_path / "out"
    folder.mkdir()
    pq.write_table(pa.table({"id": ["a", "b"], "error": [None, "empty text"]}), folder / "1.parquet")
    assert _done_in_parquet(str(folder) + "/") == {"a"}
    assert _failed_in_parquet(str(folder), {"a"}) == [("b", "empty text")]
    whole = (folder / "1.parquet").read_bytes()
    (folder / "2.parquet").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(VidocError, match=r"2\.parquet") as error:
        _done_in_parquet(str(folder))
    assert "move it out" in str(error.value)


def _vit5_config(folder: Path, model: Path) -> Path:
    config = folder / f"{model.name}.yaml"
    config.write_text(f"summariser:\n  kind: vit5\n  model: {model}\n  device: cpu\n", encoding="utf-8")
    return config


def _assert_one_line_setup_error(result, expected: str, output: Path, before: bytes) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("vidoc: error:") == 1 and expected in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert output.read_bytes() == before  # the earlier run's lines, untouched, nothing half-written


def test_a_missing_model_folder_ends_a_ray_run_before_ray_starts(inputs, tmp_path) -> None:
    needs_ray()
    output = tmp_path / "out.jsonl"
    before = b'{"id": "earlier", "summary": "kept"}\n'
    output.write_bytes(before)
    config = _vit5_config(tmp_path, tmp_path / "missing-model")
    args = ["batch", str(inputs / "in.jsonl"), "-o", str(output), "-c", str(config), "--engine", "ray"]
    result = run_cli(*args, "--workers", "1")
    _assert_one_line_setup_error(result, "does not exist", output, before)


def test_a_model_that_fails_to_load_in_an_actor_ends_the_run_like_local(inputs, tmp_path) -> None:
    """The weights load on an actor's first batch, so only the actor sees this error (~30 s: a Ray start)."""
    needs_ray()
    pytest.importorskip("transformers", reason="the models extra is not installed")
    model = tmp_path / "no-weights"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "t5"}', encoding="utf-8")
    output = tmp_path / "out.jsonl"
    before = b'{"id": "earlier", "summary": "kept"}\n'
    output.write_bytes(before)
    args = ["batch", str(inputs / "in.jsonl"), "-o", str(output), "-c", str(_vit5_config(tmp_path, model))]
    result = run_cli(*args, "--engine", "ray", "--workers", "1")
    _assert_one_line_setup_error(result, f"summariser.model: cannot load {model}", output, before)
    assert "re-save the model with save_pretrained" in result.stderr  # the hint survives Ray too
    assert not (tmp_path / "out.errors.jsonl").exists()


def test_an_actor_setup_error_is_found_in_rays_wrapping(monkeypatch) -> None:
    """Ray keeps only the remote traceback's text (a failed call) or the cause in ``args`` (a failed
    ``__init__``); both must give back the message, hint and exit code."""
    import models.factory
    from pipeline.batch.ray_engine import ActorSetupError, SummariseActor, setup_error_in
    from pipeline.core.config import load_config

    def no_extra(config):
        raise ImportError("No module named 'ctranslate2'")

    monkeypatch.setattr(models.factory, "build_summariser", no_extra)
    actor = SummariseActor(load_config().model_dump())  # an actor that raised here would die: see its doc
    with pytest.raises(ActorSetupError) as raised:
        actor(None)
    as_text = RuntimeError(f"Traceback (most recent call last):\n  ...\nActorSetupError: {raised.value}\n")
    in_args = RuntimeError("The actor died because of an error raised in its creation task", raised.value)
    for wrapped in (as_text, in_args):
        error = setup_error_in(wrapped)
        assert error is not None and error.exit_code == 2
        assert error.message == "the summariser cannot be loaded (No module named 'ctranslate2')."
        assert error.hint == "Install the extra its config needs."
    assert setup_error_in(RuntimeError("a bug in an actor")) is None


def test_a_cuda_summariser_on_a_local_ray_without_gpus_is_refused_not_waited_for() -> None:
    """Its one-GPU actors could never be placed: Ray Data waited forever before this check."""
    from pipeline.batch.ray_engine import check_gpus
    from pipeline.core.errors import VidocError

    with pytest.raises(VidocError, match=r"summariser\.device is 'cuda' but this machine has no GPU"):
        check_gpus(_vit5_on("cuda"), {"CPU": 3.0}, None)
    check_gpus(_vit5_on("cuda"), {"CPU": 3.0, "GPU": 1.0}, None)
    check_gpus(_vit5_on("auto"), {"CPU": 3.0}, None)  # auto runs on the CPU there
    check_gpus(_vit5_on("cuda"), {"CPU": 3.0}, "auto")  # a cluster may add GPU nodes as it scales


linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc; the watchdog is Linux's"
)


def _procs() -> dict[int, tuple[int, bytes, bytes]]:
    """pid → (ppid, start time, state) from /proc (psutil is only Ray's vendored copy here)."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = Path(f"/proc/{name}/stat").read_bytes().rpartition(b")")[2].split()
                procs[int(name)] = (int(fields[1]), fields[19], fields[0])
            except (OSError, IndexError, ValueError):
                pass
    return procs


def _record_descendants(root: int, seen: dict[int, tuple[bytes, str]]) -> None:
    """Record every running descendant of ``root`` in ``seen``: pid → (start time, command line)."""
    procs = _procs()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    stack = [root]
    while stack:
        for pid in children.get(stack.pop(), ()):
            try:
                command = (
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            seen[pid] = (procs[pid][1], command.strip()[:80])  # the latest: Ray renames its workers
            stack.append(pid)


def _still_running(seen: dict[int, tuple[bytes, str]]) -> dict[int, str]:
    """The recorded processes still running: same pid and start time, not a zombie."""
    procs = _procs()
    return {
        pid: command
        for pid, (start, command) in seen.items()
        if pid in procs and procs[pid][1] == start and procs[pid][2] != b"Z"
    }


def _wait_gone(seen: dict[int, tuple[bytes, str]], seconds: float) -> dict[int, str]:
    deadline = time.monotonic() + seconds
    while (left := _still_running(seen)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def _kill_left(seen: dict[int, tuple[bytes, str]]) -> None:
    """Clean up after a failed test: kill the recorded processes still running (never a reused pid)."""
    for pid in _still_running(seen):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


_FAKE_DRIVER = """
import subprocess, sys, time
from pipeline.batch.ray_engine import release_watchdog, watch_local_ray

watchdog = watch_local_ray()
raylet = subprocess.Popen(["sh", "-c", "sleep 300 & wait"])  # a child with a child, like the raylet
if sys.argv[1] == "release":  # the driver shut Ray down itself: nothing may be killed after that
    release_watchdog(watchdog)
print(watchdog.pid, raylet.pid, flush=True)
time.sleep(300)
"""


@linux_only
@pytest.mark.parametrize("released", [False, True], ids=["killed", "released"])
def test_the_watchdog_kills_a_dead_drivers_processes_unless_released(released) -> None:
    """No Ray: a fake driver's child and grandchild die with it; after a release they are left alone."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    driver = subprocess.Popen(
        [sys.executable, "-c", _FAKE_DRIVER, "release" if released else "watch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: dict[int, tuple[bytes, str]] = {}
    try:
        assert driver.stdout is not None
        watchdog, raylet = map(int, driver.stdout.readline().split())
        time.sleep(2.5)  # the watchdog records the driver's descendants every second
        _record_descendants(driver.pid, seen)
        assert raylet in seen and any(command.startswith("sleep") for _, command in seen.values()), seen
        driver.kill()
        driver.wait()
        if released:
            time.sleep(2)  # time enough for a watchdog that wrongly killed to do so
            left = _still_running(seen)
            assert watchdog not in left  # it exited when released
            assert set(left) == set(seen) - {watchdog}, left  # and killed nothing
        else:
            left = _wait_gone(seen, 5)
            assert left == {}, f"still running after the driver was killed: {left}"
    finally:
        driver.kill()
        _kill_left(seen)


def test_only_a_local_instance_started_here_is_watched(monkeypatch) -> None:
    """``--ray-address`` or RAY_ADDRESS joins a cluster vidoc did not start: no watchdog, nothing to kill."""
    from pipeline.batch import ray_engine

    inits: list[dict] = []
    watched: list[bool] = []

    class FakeRay:
        class data:
            class DataContext:
                @staticmethod
                def get_current():
                    return type("Context", (), {})()

        @staticmethod
        def is_initialized() -> bool:
            return False

        @staticmethod
        def init(**kwargs) -> None:
            inits.append(kwargs)

    monkeypatch.setattr(ray_engine, "require_ray", lambda: FakeRay)
    monkeypatch.setattr(ray_engine, "watch_local_ray", lambda: watched.append(True))  # returns None
    monkeypatch.setattr(ray_engine, "_watchdog", None)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    ray_engine.start_ray("auto", None)
    ray_engine.start_ray("ray://head:10001", 2)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    ray_engine.start_ray(None, None)
    assert watched == [] and len(inits) == 3
    assert [init["address"] for init in inits] == ["auto", "ray://head:10001", "127.0.0.1:6379"]
    assert not any("num_cpus" in init for init in inits)  # Ray refuses it when joining a cluster
    monkeypatch.delenv("RAY_ADDRESS")
    ray_engine.start_ray(None, None)
    # "local": a fresh instance, not a `ray start` cluster already running on this machine
    assert watched == [True] and inits[-1]["address"] == "local" and inits[-1]["num_cpus"] >= 2


@linux_only
@pytest.mark.slow  # a Ray start, then the work has to begin (~20-40 s on a shared 2-core machine)
def test_a_killed_drivers_local_ray_instance_dies_with_it(tmp_path) -> None:
    """SIGKILL the driver mid-run: no process of its local Ray instance may outlive it.

    Without the watchdog, Ray's fate-sharing kills gcs_server and the raylet at once, but
    ray::DashboardAgent and ray::RuntimeEnvAgent stay ~60 s (they report the raylet's death to the
    dead GCS first), and the actor workers a few seconds.
    """
    needs_ray()
    write_corpus(make_corpus(600, words=200), tmp_path / "in.jsonl")
    output = tmp_path / "out.jsonl"
    args = ["batch", str(tmp_path / "in.jsonl"), "--output", str(output), "--engine", "ray", "--workers", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    env.pop("RAY_ADDRESS", None)
    with (tmp_path / "stderr.txt").open("w") as stderr:
        driver = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env, stderr=stderr)
    seen: dict[int, tuple[bytes, str]] = {}
    try:
        deadline = time.monotonic() + 240
        while not (output.exists() and output.stat().st_size) and time.monotonic() < deadline:
            assert driver.poll() is None, (tmp_path / "stderr.txt").read_text()
            _record_descendants(driver.pid, seen)
            time.sleep(0.2)
        _record_descendants(driver.pid, seen)
        assert driver.poll() is None, "the run ended before it could be killed: give it more documents"
        assert output.stat().st_size, "no summary written within 240 s"
        commands = " | ".join(command for _, command in seen.values())
        assert "raylet" in commands and "ray::DashboardAgent" in commands, commands
        driver.kill()
        driver.wait()
        left = _wait_gone(seen, 10)
        assert left == {}, f"still running 10 s after the driver was killed: {left}"
    finally:
        driver.kill()
        _kill_left(seen)
