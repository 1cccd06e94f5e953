"""``vidoc eval [SUITE...] --out DIR``: score configs against reference suites and write reports.

Exit codes: 0 all good; 1 a ``--fail-under`` threshold was missed; 2 a suite is broken or a gated
metric cannot be scored (no item it applies to, unknown name): never a silent zero.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from pipeline.commands.options import COMPARED_CONFIGS_HELP
from pipeline.core.errors import VidocError

SUITES_HELP = "Bundled suite names (seed, ...), .jsonl suite files, or benchmarks (viquad2, zalo, vietnews)."
FAIL_HELP = "Gates, e.g. 'f1=0.5,recall@5=0.8' (0–1 scale, as in report.json): exit 1 when a metric is below."


def parse_gates(text: str | None) -> dict[str, float]:
    """``metric=value,...`` → {metric: value}; a malformed gate is a usage error (exit 2)."""
    gates: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            threshold = float(value)
        except ValueError:
            threshold = None
        if not sep or not name.strip() or threshold is None:
            raise VidocError(
                f"--fail-under: cannot read {part.strip()!r}.", "Write metric=value, e.g. f1=0.5."
            )
        if threshold > 1 and not name.strip().startswith("seconds"):
            raise VidocError(
                f"--fail-under: {name.strip()}={value} is above 1.",
                "Scores are on the 0–1 scale of report.json.",
            )
        gates[name.strip()] = threshold
    return gates


def check_gates(runs: list[dict], gates: dict[str, float]) -> list[str]:
    """Failed gates as lines; a gate on a metric a run does not have is an error (exit 2)."""
    failures = []
    for run in runs:
        for name, threshold in gates.items():
            value = run["metrics"].get(name)
            if value is None:
                raise VidocError(
                    f"--fail-under: {name} cannot be scored for config {run['config']} "
                    f"(suites: {run['suite']}).",
                    f"Metrics of this run: {', '.join(sorted(run['metrics']))}.",
                )
            if value < threshold:
                failures.append(f"{run['config']}: {name} = {value:.4f} < {threshold}")
    return failures


def eval_command(
    suites: list[str] | None = typer.Argument(None, help=SUITES_HELP, show_default=False),
    config: list[str] | None = typer.Option(None, "--config", "-c", help=COMPARED_CONFIGS_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for report.json/.md/.html and items/."),
    rescore_dir: Path | None = typer.Option(
        None,
        "--rescore",
        help="Recompute the metrics of a finished (or killed) run from its saved predictions.",
    ),
    fail_under: str | None = typer.Option(None, "--fail-under", help=FAIL_HELP),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Run only the first N items of each suite."
    ),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar on stderr."),
    bootstrap: int = typer.Option(
        1000, "--bootstrap", min=0, help="Bootstrap resamples for the 95% intervals (0: none)."
    ),
    data_format: str = typer.Option(
        "suite",
        "--format",
        help="SUITE paths are: suite (vidoc .jsonl) or squad (SQuAD .json/.jsonl, a datasets folder).",
    ),
    split: str | None = typer.Option(None, "--split", help="Split of a saved DatasetDict (--format squad)."),
    threshold_sweep: bool = typer.Option(
        False, "--threshold-sweep", help="With --rescore: F1 and NoAns against the reader's threshold."
    ),
) -> None:
    """Score the pipeline against reference suites; reports in JSON, Markdown and HTML."""
    from eval import harness, report
    from eval.benchmarks import BenchmarkUnavailable
    from eval.suite_catalogue import find_suite
    from eval.suites import Suite, bundled_suite_paths, load_suite

    if data_format not in ("suite", "squad"):
        raise VidocError(f"--format {data_format}: unknown.", "Choose suite or squad.")
    if threshold_sweep and rescore_dir is None:
        raise VidocError("--threshold-sweep reads a saved run.", "Add --rescore DIR.")
    gates = parse_gates(fail_under)
    if rescore_dir is not None:
        if suites or config:
            raise VidocError(
                "--rescore takes the suites and configs of the saved run.",
                "Drop the SUITE and --config arguments.",
            )
        out = out or rescore_dir
        suite_names, records = harness.rescore(rescore_dir)
    else:
        if out is None:
            raise VidocError("vidoc eval needs --out DIR.", "Example: vidoc eval --out eval-report")
        if suites and data_format == "squad":
            from eval.benchmarks import load_squad_suite

            loaded = [load_squad_suite(Path(name), split) for name in suites]
        elif suites:
            loaded = []
            for name in suites:
                try:
                    loaded.append(find_suite(name))
                except BenchmarkUnavailable as skipped:
                    print(f"vidoc: {skipped}", file=sys.stderr)
        else:
            paths = bundled_suite_paths()
            if not paths:
                raise VidocError("no bundled suites found in eval/suites/.", "Name a suite file to run.")
            loaded = [load_suite(path) for path in paths]
        if not loaded:
            if gates:
                raise VidocError(
                    "nothing was scored: every suite was skipped, so --fail-under cannot be checked."
                )
            print("vidoc: nothing to run (every suite was skipped).", file=sys.stderr)
            return
        if limit:
            loaded = [Suite(s.name, s.source, s.items[:limit]) for s in loaded]
        runs_config = _load_configs(config or [])
        records = harness.run_suites(loaded, runs_config, out, show_progress=not no_progress)
        suite_names = [s.name for s in loaded]
    provenance = harness.read_manifest(out if rescore_dir is None else rescore_dir).get("provenance", {})
    runs = [
        report.build_run(label, suite_names, rs, resamples=bootstrap, provenance=provenance.get(label))
        for label, rs in records.items()
    ]
    comparisons = report.compare_runs(runs, bootstrap)
    paths = report.write_reports(out, runs, comparisons)
    typer.echo(
        report.markdown_table(
            [run["metrics"] for run in runs],
            [run["config"] for run in runs],
            [run["metrics_ci"] for run in runs],
        )
    )
    for line in report.comparison_lines(comparisons):
        typer.echo(line)
    if threshold_sweep:
        from eval.threshold_sweep import sweep, sweep_table

        for label, rs in records.items():
            rows = sweep(rs)
            typer.echo("\n" + (sweep_table(label, rows) if rows else f"{label}: no scored answers to sweep."))
    typer.echo(f"\nwrote {paths['json']}, {paths['md'].name}, {paths['html'].name}")
    failures = check_gates(runs, gates)
    if failures:
        for line in failures:
            print(f"vidoc: below --fail-under: {line}", file=sys.stderr)
        raise typer.Exit(1)


def _load_configs(labels: list[str]) -> list:
    from eval.harness import RunConfig
    from pipeline.core.config import load_config

    labels = labels or ["default"]
    if len(set(labels)) != len(labels):
        raise VidocError("--config: the same config is named twice.", "Name each config once.")
    return [RunConfig(label, load_config(None if label == "default" else label)) for label in labels]
