"""``vidoc batch --engine ray``: the same batch function on Ray Data actors, locally or on a cluster.

Each actor builds the summariser once (a ViT5 model loads once per actor, on its own GPU when the
config's device is CUDA, or ``auto`` on a cluster with GPUs) and calls
``pipeline.batch.batch_function.summarise_records`` on the blocks it gets.
With a JSONL output the driver iterates the result blocks and writes them through the same
``BatchSink`` as the local engine, so resume, the errors file and exit codes do not change; with a
folder or ``s3://`` output Ray writes Parquet files itself and resume reads the ids back from them.

A model setup error (``pipeline.batch.batch_function.SETUP_ERRORS``) ends the run once with the same one-line
message and exit 2 as the local engine: the driver builds the summariser first where that is cheap
(``check_summariser``), and one raised in an actor is found again in Ray's error (``ActorSetupError``).

A local instance dies with the driver, even a SIGKILLed one (``watch_local_ray``).

Ray is an optional extra: nothing here is imported unless ``--engine ray`` is asked for.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from models.factory import check_local_model
from pipeline.batch.batch_function import (
    SETUP_ERRORS,
    Outcome,
    as_setup_error,
    ready_summariser,
    setup_errors_end_the_run,
    summarise_records,
)
from pipeline.batch.inputs import InputSpec, Record, check_scan, scan_input, to_row
from pipeline.batch.runs import BatchRun, batch_progress, counts_line
from pipeline.batch.signals import StopRequest, sigterm_exits
from pipeline.core.config import Config
from pipeline.core.errors import VidocError
from pipeline.core.protocols import Summariser

# Rows per actor call: several summariser batches, so each block is length-sorted before batching.
BLOCK_BATCHES = 4
_JSONL_CHUNK_BYTES = 8 << 20
_SETUP_TAG = "vidoc-setup-error"
_SETUP_LINE = re.compile(rf"{_SETUP_TAG} (\{{.*\}})")


def require_ray() -> Any:
    """Import Ray Data or say, in one line, how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise VidocError("--engine ray needs Ray: pip install -e '.[ray]'") from None
    return ray


# The watchdog of a local Ray instance, run as ``python -I -c WATCHDOG DRIVER_PID`` (stdlib only).
# Every second it records the driver's descendants (pid and start time, from /proc) and waits on
# its stdin: a line means the driver shut Ray down itself (exit, nothing killed); end of file, or a
# new parent, means the driver died, and every recorded process still running (same start time, so
# never a reused pid), with the children they have by then, is killed.
_WATCHDOG = r"""# vidoc batch: the watchdog of a local Ray instance (pipeline/batch/ray_engine.py)
import os, select, signal, sys

driver, me = int(sys.argv[1]), os.getpid()


def table():
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    fields = stat.read().rpartition(b")")[2].split()
                procs[int(name)] = (int(fields[1]), fields[19], fields[0])  # ppid, start time, state
            except (OSError, IndexError, ValueError):
                pass
    return procs


def family(procs, roots):
    children = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = set(), list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child != me and child not in found:
                found.add(child)
                stack.append(child)
    return found


seen = {}
while os.getppid() == driver:
    procs = table()
    seen.update((pid, procs[pid][1]) for pid in family(procs, [driver]))
    ready, _, _ = select.select([0], [], [], 1.0)
    if ready:
        if os.read(0, 64):
            sys.exit(0)
        break
procs = table()
alive = {pid for pid, start in seen.items() if pid in procs and procs[pid][1] == start}
for pid in alive | family(procs, alive):
    if procs[pid][2] != b"Z":
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
"""
_watchdog: subprocess.Popen[bytes] | None = None


def watch_local_ray() -> subprocess.Popen[bytes] | None:
    """Start the watchdog that kills this driver's local Ray instance if the driver dies (Linux).

    Ray fate-shares the processes ``ray.init`` starts (gcs_server, raylet, ...) with the driver through
    PR_SET_PDEATHSIG, but not the raylet's agents: ``ray::DashboardAgent`` and ``ray::RuntimeEnvAgent``
    see the raylet die, then wait 60 s reporting it to the GCS, which is dead too. The watchdog runs
    in its own session (Ctrl-C or a closed terminal do not reach it) and kills only descendants of
    this driver: never a cluster started apart from it. The driver releases it after ``ray.shutdown``
    (``stop_ray``); any other end of the driver kills what is left. Off Linux nothing is started.
    """
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc"):
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-I", "-c", _WATCHDOG, str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return None


def release_watchdog(watchdog: subprocess.Popen[bytes]) -> None:
    """Tell the watchdog that Ray was shut down on purpose, so that it exits killing nothing."""
    try:
        if watchdog.stdin is not None:
            watchdog.stdin.write(b"done\n")
            watchdog.stdin.close()
        watchdog.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        watchdog.kill()
        watchdog.wait()


def cluster_address(address: str | None) -> str | None:
    """The cluster to join: ``--ray-address``, else ``RAY_ADDRESS``; None means a local instance."""
    return address or os.environ.get("RAY_ADDRESS") or None


def start_ray(address: str | None, workers: int | None) -> Any:
    """Join the cluster at ``address``, or start a local instance with this machine's cores."""
    global _watchdog
    ray = require_ray()
    if ray.is_initialized():
        return ray
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    address = cluster_address(address)
    if address:  # a cluster vidoc did not start: it sizes itself, and nothing of it may be killed
        ray.init(address=address, **quiet)
    else:
        if _watchdog is None:
            _watchdog = watch_local_ray()  # before ray.init: a kill while Ray starts is covered too
        # "local": a new instance even when `ray start` left one running on this machine (plain
        # ray.init() would join that one, and then refuses num_cpus with a ValueError). One CPU slot
        # more than the actors take: with every slot held by an actor, Ray Data backpressures the read
        # tasks forever and the run hangs with nothing to summarise.
        cores = os.cpu_count() or 1
        ray.init(address="local", num_cpus=max(cores, workers or cores) + 1, **quiet)
    # vidoc reports progress and failures itself; Ray Data would log every failed block with its traceback.
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # vidoc draws its own bar from the driver
    return ray


def stop_ray(ray: Any) -> None:
    """Shut Ray down, then release the watchdog of a local instance (``watch_local_ray``)."""
    global _watchdog
    try:
        ray.shutdown()
    finally:
        if _watchdog is not None:
            release_watchdog(_watchdog)
            _watchdog = None


def wants_gpu(config: Config, resources: dict[str, float]) -> bool:
    """A model summariser (ViT5) with CUDA asked for, or ``auto`` on a cluster that has GPUs (``auto``
    would pick CUDA in the actor). The extractive default never uses a GPU, so it never reserves one."""
    if config.summariser.kind == "extractive":
        return False
    device = config.summariser.device
    return device.startswith("cuda") or (device == "auto" and resources.get("GPU", 0) > 0)


def actor_shape(config: Config, resources: dict[str, float], workers: int | None) -> tuple[int, int]:
    """(actors, GPUs per actor): one GPU each when the summariser runs on CUDA (``wants_gpu``), and then
    never more actors than GPUs (an actor waiting for a GPU would stall the pool); else as many actors
    as ``--workers``, or one per CPU but one (left to the read tasks)."""
    if wants_gpu(config, resources):
        gpus = max(int(resources.get("GPU", 1)), 1)
        return (min(workers, gpus) if workers else gpus), 1
    return (workers or max(int(resources.get("CPU", 2)) - 1, 1)), 0


def actor_config(config: Config, gpu: bool) -> Config:
    """The config an actor builds its summariser from: device ``cuda`` on a GPU actor.

    Ray sets CUDA_VISIBLE_DEVICES to the actor's one GPU, so inside the actor it is always device 0:
    ``cuda:1`` from the config would name a GPU the actor cannot see, and ``auto`` is made explicit.
    """
    if not gpu:
        return config
    summariser = config.summariser.model_copy(update={"device": "cuda"})
    return config.model_copy(update={"summariser": summariser})


class ActorSetupError(Exception):
    """A setup error raised in an actor, worded so that the driver can find it in Ray's error.

    Ray Data wraps a failing call in ``UserCodeException`` and pickles that without ``__cause__``, and a
    failing ``__init__`` arrives as ``ActorDiedError``: on the driver the original ``VidocError`` (and
    its hint) survives only as text in the remote traceback. This error's message is one tagged line of
    JSON, which ``setup_error_in`` reads back from that text.
    """

    @classmethod
    def of(cls, error: Exception) -> ActorSetupError:
        setup = as_setup_error(error)
        fields = {"message": setup.message, "hint": setup.hint, "exit_code": setup.exit_code}
        return cls(f"{_SETUP_TAG} {json.dumps(fields)}")  # ASCII-escaped JSON: always one line


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception reachable from it: Ray's ``.cause``, ``__cause__``, ``__context__``
    and exceptions among the arguments (``ActorDiedError`` holds the creation task's ``RayTaskError``)."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (getattr(current, "cause", None), current.__cause__, current.__context__, *current.args)
        stack.extend(item for item in linked if isinstance(item, BaseException))


def _decode(error: BaseException) -> VidocError | None:
    """The tagged line in an ``ActorSetupError`` or in a traceback's text, read back as a ``VidocError``.

    The text of an exception holding one in its arguments shows its repr, with escaped quotes: that
    does not parse, and the one in the arguments is decoded itself when ``_chain`` gets there.
    """
    text = str(error.args[0]) if isinstance(error, ActorSetupError) and error.args else str(error)
    for found in _SETUP_LINE.finditer(text):
        try:
            fields = json.loads(found.group(1))
            return VidocError(fields["message"], fields["hint"], fields["exit_code"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def setup_error_in(error: BaseException) -> VidocError | None:
    """The ``VidocError`` an actor's ``ActorSetupError`` stands for, wherever Ray put it; else None."""
    for current in _chain(error):
        setup = _decode(current)
        if setup is not None:
            return setup
    return None


def check_summariser(config: Config, address: str | None) -> None:
    """Build the summariser once here, so a setup error ends the run before Ray starts.

    Building loads no weights (models load on first use), so it is cheap. Only a local Ray instance
    shares this machine's packages and model folders; on a cluster the actors may have what the driver
    lacks, so there only a model path is checked, and the actors report the rest (``ActorSetupError``).
    """
    if address:
        check_local_model("summariser", config.summariser.model)
        return
    from models.factory import build_summariser

    try:
        build_summariser(config)
    except ImportError as error:
        raise as_setup_error(error) from None


def check_gpus(config: Config, resources: dict[str, float], address: str | None) -> None:
    """A CUDA summariser on a local Ray without GPUs: say so, instead of waiting for a GPU forever."""
    if not address and wants_gpu(config, resources) and resources.get("GPU", 0) <= 0:
        device = config.summariser.device
        raise VidocError(
            f"summariser.device is '{device}' but this machine has no GPU Ray can use.",
            "Set device: auto (or cpu), or pass --ray-address for a cluster with GPUs.",
        )


def _normalise(batch: Any, spec: InputSpec, done: set[str]) -> Any:
    """Rows of any input format → ``id, text, path, length`` columns, minus the ids already done."""
    import pyarrow as pa

    rows: dict[str, list[Any]] = {"id": [], "text": [], "path": [], "length": []}
    for item in batch.to_pylist():
        if spec.kind == "jsonl":
            try:
                data = json.loads(item["line"].decode("utf-8"))
            except ValueError:  # also UnicodeDecodeError
                continue  # a broken line: the driver's scan already recorded it
            if not isinstance(data, dict):
                continue
            row = to_row(data.get(spec.id_column), data.get(spec.text_column, ...), 0, spec)
        elif spec.kind == "folder":
            row = Record(item["id"], None, 0, item["path"])
        else:
            row = to_row(item.get(spec.id_column), item.get(spec.text_column), 0, spec)
        if isinstance(row, Record) and row.id not in done:
            rows["id"].append(row.id)
            rows["text"].append(row.text)
            rows["path"].append(row.path)
            rows["length"].append(row.length)
    schema = pa.schema(
        [("id", pa.string()), ("text", pa.string()), ("path", pa.string()), ("length", pa.int64())]
    )
    return pa.table(rows, schema=schema)


class SummariseActor:
    """A Ray actor: builds the summariser from the config once, then summarises blocks of rows.

    A setup error (building, or loading the model on first use) is raised as ``ActorSetupError`` from
    ``__call__``, never from ``__init__``: an actor that dies in ``__init__`` leaves Ray retrying calls on
    it and printing their tracebacks to the terminal, where a failed call just ends the dataset.
    """

    def __init__(self, config_data: dict[str, Any], encoding: str | None = None) -> None:
        self.config = Config.model_validate(config_data)
        self.encoding = encoding  # what a folder's files are read as (``--encoding``; None: detected)
        self.summariser: Summariser | None = None
        self.setup_error: ActorSetupError | None = None
        try:  # built and warmed up here, so a broken model fails once, not on every block
            self.summariser = ready_summariser(self.config)
        except SETUP_ERRORS as error:
            self.setup_error = ActorSetupError.of(error)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        if self.summariser is None:
            raise self.setup_error or ActorSetupError("no summariser")
        rows = batch.to_pylist()
        try:
            outcomes = summarise_records(
                [(row["id"], row["text"], row["path"]) for row in rows],
                [row["length"] for row in rows],
                self.config,
                self.summariser,
                self.encoding,
            )
        except SETUP_ERRORS as error:
            raise ActorSetupError.of(error) from None

        def field(name: str) -> list[Any]:
            return [o.record[name] if o.record else None for o in outcomes]

        return pa.table(
            {
                "id": pa.array([o.id for o in outcomes], pa.string()),
                "summary": pa.array(field("summary"), pa.string()),
                "model": pa.array(field("model"), pa.string()),
                "seconds": pa.array(field("seconds"), pa.float64()),
                "error": pa.array([o.error for o in outcomes], pa.string()),
                "record": pa.array(
                    [json.dumps(o.record, ensure_ascii=False) if o.record else None for o in outcomes],
                    pa.string(),
                ),
            }
        )


def _jsonl_lines(path: str) -> Any:
    """A Ray datasource of a JSONL file's raw lines, split on b"\\n" only, read in chunks.

    Neither ``read_json`` nor ``read_text`` fits: pyarrow's JSON reader fails the whole file on one
    broken line (``--skip-invalid`` must survive it), and ``read_text`` splits with ``str.splitlines``,
    which also breaks lines at U+2028 or U+0085 inside a JSON string and decodes the file strictly.
    """
    from ray.data.datasource import FileBasedDatasource

    class JsonlLines(FileBasedDatasource):
        def _read_stream(self, f: Any, path: str) -> Any:
            import pyarrow as pa

            rest = b""
            while True:
                chunk = f.read(_JSONL_CHUNK_BYTES)
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop() if chunk else b""
                if lines:
                    yield pa.table({"line": pa.array(lines, pa.binary())})
                if not chunk:
                    break

    return JsonlLines([path])


def _read(ray: Any, spec: InputSpec, skip_invalid: bool) -> Any:
    """The input as a Ray dataset with the input's own columns (JSONL: raw lines, parsed later)."""
    path = str(spec.path)
    if spec.kind == "jsonl":
        return ray.data.read_datasource(_jsonl_lines(path))
    if spec.kind == "csv":
        import pyarrow as pa
        from pyarrow import csv

        return ray.data.read_csv(
            path,
            parse_options=csv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=(lambda row: "skip") if skip_invalid else None
            ),
            convert_options=csv.ConvertOptions(
                column_types={spec.id_column: pa.string(), spec.text_column: pa.string()},
                include_columns=[spec.id_column, spec.text_column],
            ),
        )
    if spec.kind == "parquet":
        return ray.data.read_parquet(path, columns=[spec.id_column, spec.text_column])
    from pipeline.batch.inputs import iter_rows

    paths = [{"id": row.id, "path": row.path} for row in iter_rows(spec) if isinstance(row, Record)]
    return ray.data.from_items(paths)


def _summaries(
    ray: Any,
    spec: InputSpec,
    done: set[str],
    config: Config,
    skip_invalid: bool,
    workers: int | None,
    address: str | None = None,
) -> Any:
    """The lazy pipeline: read → normalise and drop done ids → summarise on actors."""
    dataset = _read(ray, spec, skip_invalid).map_batches(
        _normalise, fn_kwargs={"spec": spec, "done": done}, batch_format="pyarrow"
    )
    resources = ray.cluster_resources()
    check_gpus(config, resources, address)
    actors, gpus = actor_shape(config, resources, workers)
    return dataset.map_batches(
        SummariseActor,
        fn_constructor_args=(actor_config(config, gpus > 0).model_dump(),),
        fn_constructor_kwargs={"encoding": spec.encoding},
        batch_format="pyarrow",
        batch_size=config.summariser.batch_size * BLOCK_BATCHES,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_gpus=gpus,
    )


def run_ray(
    run: BatchRun, config: Config, stop: StopRequest, address: str | None, workers: int | None
) -> None:
    """Summarise the pending records on Ray; the driver writes each result block through the sink."""
    if not run.pending:
        return  # everything is in the output already: no need to start Ray
    address = cluster_address(address)
    check_summariser(config, address)  # fail here, not in every actor
    ray = start_ray(address, workers)
    stop.install()  # after ray.init, which may have installed handlers of its own
    try:
        dataset = _summaries(
            ray, run.spec, set(run.sink.done), config, bool(run.scan.invalid), workers, address
        )
        with batch_progress(run.pending) as (progress, task), setup_errors_end_the_run(setup_error_in):
            for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                outcomes = [
                    Outcome(row["id"], json.loads(row["record"]) if row["record"] else None, row["error"])
                    for row in batch.to_pylist()
                ]
                run.sink.write(outcomes)
                progress.advance(task, len(outcomes))
                if stop.requested:
                    break
    finally:
        stop_ray(ray)


def _parquet_files(output: str) -> tuple[Any, list[str]]:
    """The filesystem and the ``.parquet`` files under ``output`` (none when it does not exist yet)."""
    from pyarrow import fs

    filesystem, root = fs.FileSystem.from_uri(output) if "://" in output else (fs.LocalFileSystem(), output)
    root = root.rstrip("/")
    if filesystem.get_file_info(root).type == fs.FileType.NotFound:
        return filesystem, []
    infos = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    names = [info.path for info in infos if info.is_file and info.path.endswith(".parquet")]
    return filesystem, sorted(names)


def _written_rows(output: str) -> list[dict[str, Any]]:
    """``id, error`` of every row written so far, read file by file.

    One unreadable file (half-written by a killed run) must not read as "nothing done": that would
    redo and duplicate every document, so it ends the run naming the file instead.
    """
    import pyarrow.parquet as pq

    filesystem, names = _parquet_files(output)
    rows: list[dict[str, Any]] = []
    for name in names:
        try:
            table = pq.read_table(name, columns=["id", "error"], filesystem=filesystem)
        except (OSError, ValueError, KeyError) as error:
            raise VidocError(
                f"{name}: cannot read this Parquet file of the output ({error}).",
                "A killed run can leave a half-written file: move it out of the output folder "
                "and run again (its documents are then done again).",
            ) from None
        rows.extend(table.to_pylist())
    return rows


def _done_in_parquet(output: str) -> set[str]:
    """Ids with a summary in the Parquet files already written (rows with an ``error`` are retried)."""
    return {row["id"] for row in _written_rows(output) if row["error"] is None}


def _failed_in_parquet(output: str, done: set[str]) -> list[tuple[str, str]]:
    """Ids that failed and have no summary yet (a rerun adds a row per retry: one entry each)."""
    rows = _written_rows(output)
    failed = {row["id"]: row["error"] for row in rows if row["error"] and row["id"] not in done}
    return list(failed.items())


def run_ray_parquet(
    spec: InputSpec,
    output: str,
    config: Config,
    skip_invalid: bool,
    address: str | None,
    workers: int | None,
) -> int:
    """Ray writes Parquet files into ``output``; returns the exit code (0, 1 when some failed)."""
    scan = scan_input(spec)
    check_scan(spec, scan, skip_invalid)
    done = _done_in_parquet(output)
    skipped = len(scan.ids & done)
    started = time.perf_counter()
    if skipped < scan.total:
        check_summariser(config, address)
        ray = start_ray(address, workers)
        with sigterm_exits(), setup_errors_end_the_run(setup_error_in):
            try:
                dataset = _summaries(ray, spec, done, config, bool(scan.invalid), workers, address)
                dataset.drop_columns(["record"]).write_parquet(output)
            finally:
                stop_ray(ray)
    seconds = time.perf_counter() - started
    done_now = _done_in_parquet(output)
    refused = [(entry.id, entry.reason) for entry in scan.refused if entry.id not in done_now]
    failed = _failed_in_parquet(output, done_now) + refused  # links out of a folder are never read
    written = len((done_now - done) & scan.ids)
    for record_id, error in failed[:5]:
        print(f"vidoc batch: failed {record_id}: {error}", file=sys.stderr)
    counts = counts_line(written, skipped, len(failed), len(scan.invalid), seconds)
    print(
        f"vidoc batch: {counts} Parquet files in {output} (rows with an 'error' are retried on rerun).",
        file=sys.stderr,
    )
    return 1 if failed else 0
