"""``everyname estimate``: Multiple Systems Estimation of the deaths no list has documented.

The command reads capture histories (a histories CSV with ``--histories``, or the latest link
run), optionally merges or selects lists, fits one method per stratum and prints a table (with a
bar chart of the strata) or the JSON contract of the design::

    {"method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings", ...}

and with ``--by``: ``{"by": FIELD, "strata": [{"value": V, ...same keys...}, ...]}``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from everyname.cli.app import app
from everyname.cli.output import console, errors, escape, user_errors

if TYPE_CHECKING:
    from everyname.core.estimate import CaptureHistories, EstimateResult

# The estimation core pulls in scipy, statsmodels and numba (about a second); it is imported
# when the command runs, not whenever the program starts.

STRATUM_COLUMN = "stratum"  # as in everyname.core.estimate.histories


class Method(StrEnum):
    chapman = "chapman"
    loglinear = "loglinear"
    lcmcr = "lcmcr"


class Format(StrEnum):
    table = "table"
    json = "json"


class Interval(StrEnum):
    profile = "profile"
    wald_log = "wald-log"
    bootstrap = "bootstrap"


class Criterion(StrEnum):
    aic = "aic"
    bic = "bic"


def histories_from_latest_link_run(
    by: str | None,
) -> CaptureHistories | dict[str, CaptureHistories]:
    """Capture histories of the persons of the latest link run (one per value of ``by``)."""
    return link_run_histories(by).linked


@dataclass(frozen=True)
class LinkRunHistories:
    """Histories of a run's persons as linked and, while pairs await review, as they would be
    with every pending pair merged (``pending_merged``; None when nothing awaits review)."""

    linked: Any
    pending_merged: Any
    pairs_awaiting_review: int
    records_not_linked: int
    link_run: str


def link_run_histories(by: str | None) -> LinkRunHistories:
    from everyname.cli.db import open_database

    open_database()
    from everyname.core.estimate import CaptureHistories, stratify_person_sources
    from everyname.store.counting import count_input
    from everyname.store.reporting import person_sources

    data = count_input()

    def histories(frame):  # type: ignore[no-untyped-def]
        lists = sorted(data.memberships["source"].unique())
        if by is None:
            return CaptureHistories.from_person_sources(frame, lists=lists)
        return stratify_person_sources(frame, stratum=by, lists=lists)

    linked = histories(person_sources(data, by))
    merged = None
    if data.merged_groups is not None:
        merged = histories(person_sources(data, by, pending_merged=True))
    return LinkRunHistories(
        linked, merged, data.pairs_awaiting_review, data.records_not_linked, data.link_run
    )


def _with_doubt(data: dict, merged: CaptureHistories, run: LinkRunHistories, fit: Any) -> dict:
    """``data`` (an estimate's JSON) with the fit of the pending-merged persons beside it."""
    from everyname.core.count.doubt import with_pending_merged
    from everyname.core.estimate import EstimationError

    if data.get("estimate") is None:
        return data
    try:
        result = fit(merged, data["method"])
    except EstimationError as exc:
        return {**data, "pending_merged": {"observed": merged.observed, "error": str(exc)}}
    return with_pending_merged(data, result, run.pairs_awaiting_review)


def _place_labels(by: str | None, strata: Any) -> dict[str, tuple[str, str]]:
    """Names of the gazetteer places a place stratification's values are (ids)."""
    from everyname.core.count.breakdown import PLACE_LEVELS

    if by not in PLACE_LEVELS or not isinstance(strata, dict):
        return {}
    from everyname.store.places import place_labels

    return place_labels(strata)


def parse_merge(values: list[str]) -> dict[str, list[str]]:
    """``["PFNCA=PF+NCA"]`` → ``{"PFNCA": ["PF", "NCA"]}``."""
    groups: dict[str, list[str]] = {}
    for value in values:
        name, sep, members = value.partition("=")
        parts = [m.strip() for m in members.split("+") if m.strip()]
        if not sep or not name.strip() or len(parts) < 2:
            raise typer.BadParameter(
                f"{value!r}: expected NEW=LIST+LIST[+...], e.g. PFNCA=PF+NCA",
                param_hint="--merge",
            )
        groups[name.strip()] = parts
    return groups


def _prepare(
    hist: CaptureHistories, lists: list[str] | None, merge: dict[str, list[str]]
) -> CaptureHistories:
    if merge:
        hist = hist.merge(merge)
    if lists:
        hist = hist.select(lists)
    return hist


def _settings(
    method: str,
    criterion: Criterion | None,
    average: bool,
    burn_in: int | None,
    samples: int | None,
    thinning: int | None,
    chains: int | None,
    interval: Interval | None = None,
    replicates: int | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if method == "loglinear":
        if criterion is not None:
            out["criterion"] = criterion.value
        if average:
            out["average"] = True
        if interval is not None:
            out["interval"] = interval.value
        if replicates is not None:
            if interval not in (None, Interval.bootstrap) or average:
                raise typer.BadParameter(
                    "applies to the bootstrap interval only (not with --interval profile/wald-log"
                    " or --average)",
                    param_hint="--bootstrap-replicates",
                )
            out["bootstrap_replicates"] = replicates
    elif criterion is not None or average or interval is not None or replicates is not None:
        raise typer.BadParameter(
            "applies to --method loglinear only",
            param_hint="--criterion/--average/--interval/--bootstrap-replicates",
        )
    mcmc = {"burn_in": burn_in, "samples": samples, "thinning": thinning, "chains": chains}
    given = {k: v for k, v in mcmc.items() if v is not None}
    if given and method != "lcmcr":
        raise typer.BadParameter(
            "applies to --method lcmcr only", param_hint="--burn-in/--samples/--thinning/--chains"
        )
    out.update(given)
    return out


def _fit(
    hist: CaptureHistories, method: str | None, seed: int | None, settings_for
) -> EstimateResult:
    from everyname.core.estimate import SettingsError, default_method, make_estimator

    chosen = method or default_method(hist)
    try:
        estimator = make_estimator(chosen, **settings_for(chosen))
        estimator.settings.validated()
    except SettingsError as exc:
        raise typer.BadParameter(str(exc)) from None
    return estimator.fit(hist, seed=seed)


def _failed(value: str, hist: CaptureHistories, method: str | None, exc: Exception) -> dict:
    from everyname.core.estimate import default_method
    from everyname.core.estimate.warnings import data_warnings

    return {
        "value": value,
        "method": method or default_method(hist),
        "observed": hist.observed,
        "estimate": None,
        "lower": None,
        "upper": None,
        "level": 0.95,
        "lists": list(hist.lists),
        "warnings": [w.to_dict() for w in data_warnings(hist)],
        "error": str(exc),
    }


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    return "∞" if not math.isfinite(x) else f"{x:,.0f}"


def _print_table(rows: list[tuple[str | None, dict]], by: str | None) -> None:
    table = Table(title="Estimated total (documented + undocumented)")
    if by:
        table.add_column(escape(by))
    table.add_column("method")
    table.add_column("lists")
    table.add_column("documented", justify="right")
    table.add_column("estimate", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("undocumented", justify="right")
    for value, d in rows:
        est = d["estimate"]
        interval = (
            f"{_fmt(d['lower'])} – {_fmt(d['upper'])}" if est is not None else escape(d["error"])
        )
        undoc = _fmt(est - d["observed"]) if est is not None else "–"
        cells = [d["method"], escape(", ".join(d["lists"])), f"{d['observed']:,}", _fmt(est)]
        cells += [interval, undoc]
        table.add_row(*([escape(str(value))] if by else []), *cells)
    console.print(table)
    for value, d in rows:
        model = (d.get("details") or {}).get("model")
        prefix = f"{value}: " if by else ""
        if model:
            console.print(f"{escape(prefix)}model: {escape(str(model))}")
        reference = (d.get("details") or {}).get("reference")
        if reference and not by:
            console.print(f"method: {escape(str(reference))}")
        for w in d["warnings"]:
            said = escape("[" + w["code"] + "] " + w["message"])
            console.print(f"[yellow]{escape(prefix)}warning[/] {said}")
    if by and len(rows) > 1:
        _print_chart(rows)


def _print_doubt(rows: list[tuple[str | None, dict]], run: LinkRunHistories | None) -> None:
    """The estimate with every pair awaiting review merged, and records left out."""
    if run is None:
        return
    for value, d in rows:
        merged = d.get("pending_merged")
        if not merged or merged.get("estimate") is None:
            continue
        prefix = f"{value}: " if value is not None else ""
        console.print(
            f"{escape(prefix)}if the {run.pairs_awaiting_review:,} pairs awaiting review were "
            f"matches: {merged['observed']:,} persons, estimate {_fmt(merged['estimate'])} "
            f"[{_fmt(merged['lower'])} – {_fmt(merged['upper'])}]"
        )
    if run.records_not_linked:
        from everyname.core.count.headline import not_linked_en

        text = not_linked_en(run.records_not_linked, run.link_run)
        console.print(f"[yellow]warning[/] {escape(text)}")


def _print_chart(rows: list[tuple[str | None, dict]]) -> None:
    """Bars: documented (█), estimated undocumented (▒), interval to its upper end (─)."""
    fitted = [d for _, d in rows if d["estimate"] is not None]
    top = max([d["upper"] if d["upper"] is not None else d["estimate"] for d in fitted] or [1.0])
    width = 40
    console.print("\nDocumented █, estimated undocumented ▒, up to the interval's upper end ─")
    label_w = max(len(str(v)) for v, _ in rows)
    for value, d in rows:
        if d["estimate"] is None:
            console.print(f"{escape(str(value)).ljust(label_w)}  (no estimate)")
            continue
        upper = d["upper"] if d["upper"] is not None else top
        doc = round(width * d["observed"] / top)
        est = max(round(width * d["estimate"] / top), doc)
        up = max(round(width * min(upper, top) / top), est)
        bar = "█" * doc + "▒" * (est - doc) + "─" * (up - est)
        console.print(f"{escape(str(value)).ljust(label_w)}  {bar} {_fmt(d['estimate'])}")


@app.command("estimate")
@user_errors
def estimate_command(
    histories: Annotated[
        Path | None,
        typer.Option(
            "--histories",
            help="Histories CSV: one 0/1 column per list and `count` (optional `stratum`).",
        ),
    ] = None,
    method: Annotated[
        Method | None,
        typer.Option(
            "--method",
            help="Estimator; default chapman for two lists, loglinear for more (defaults above).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Estimate per stratum (with --histories: the CSV's `stratum` column)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Random seed (LCMCR; the bootstrap's is 1234 unless given, as in SparseMSE); "
            "recorded in the output.",
        ),
    ] = None,
    output_format: Annotated[Format, typer.Option("--format", help="Output format.")] = (
        Format.table
    ),
    lists: Annotated[
        str | None,
        typer.Option("--lists", help="Comma-separated lists to use (after --merge)."),
    ] = None,
    merge: Annotated[
        list[str] | None,
        typer.Option("--merge", help="Count lists as one: NEW=A+B (repeatable)."),
    ] = None,
    criterion: Annotated[
        Criterion | None,
        typer.Option(
            "--criterion",
            help="Log-linear: the model with the lowest AIC or BIC over every model (up to five "
            "lists) instead of the default choice.",
        ),
    ] = None,
    average: Annotated[
        bool, typer.Option("--average", help="Log-linear: average models (AIC/BIC weights).")
    ] = False,
    burn_in: Annotated[int | None, typer.Option("--burn-in", help="LCMCR burn-in sweeps.")] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", help="LCMCR draws kept per chain.")
    ] = None,
    thinning: Annotated[
        int | None, typer.Option("--thinning", help="LCMCR sweeps between kept draws.")
    ] = None,
    chains: Annotated[int | None, typer.Option("--chains", help="LCMCR chains.")] = None,
    interval: Annotated[
        Interval | None,
        typer.Option(
            "--interval",
            help="Log-linear interval: bootstrap (default; BCa, the model chosen again in every "
            "replicate), profile likelihood or wald-log (both given the chosen model).",
        ),
    ] = None,
    bootstrap_replicates: Annotated[
        int | None,
        typer.Option("--bootstrap-replicates", min=20, help="Bootstrap replicates (default 1000)."),
    ] = None,
) -> None:
    """Estimate the total killed, documented or not (Multiple Systems Estimation).

    Log-linear defaults, as the reference packages:
    three lists: lowest BIC, all models (MultipleSystemsEstimation; SCV 2024);
    four or more: stepwise, p < 0.02 (SparseMSE; Chan, Silverman & Vincent 2021);
    interval: BCa bootstrap repeating that choice, 1,000 replicates, seed 1234.
    The JSON names the method (details.reference) and the settings used.
    """
    groups = parse_merge(merge or [])
    chosen_lists = [x.strip() for x in lists.split(",") if x.strip()] if lists else None
    method_name = method.value if method else None

    def settings_for(name: str) -> dict[str, Any]:
        return _settings(
            name,
            criterion,
            average,
            burn_in,
            samples,
            thinning,
            chains,
            interval,
            bootstrap_replicates,
        )

    if method_name:
        settings_for(method_name)  # usage errors before any work
    if histories is not None and by is not None and by != STRATUM_COLUMN:
        raise typer.BadParameter(
            f"a histories CSV can only be split by its {STRATUM_COLUMN!r} column, not {by!r};"
            " splitting by other fields needs a link run",
            param_hint="--by",
        )
    from everyname.core.estimate import (
        EstimateWarning,
        EstimationError,
        WarningCode,
        read_histories_csv,
    )
    from everyname.core.estimate.histories import pool

    run: LinkRunHistories | None = None
    if histories is not None:
        loaded = read_histories_csv(histories)
        if by is not None and not isinstance(loaded, dict):
            raise EstimationError(f"{histories}: no {STRATUM_COLUMN!r} column to split by")
    else:
        run = link_run_histories(by)
        loaded = run.linked

    def doubt(data: dict, merged: Any, dropped: tuple[str, ...] = ()) -> dict:
        """Linkage doubt of a link run's estimate (nothing for a histories CSV)."""
        if run is None or merged is None:
            return data
        prepared = _prepare(merged, chosen_lists, groups)
        if dropped:
            prepared = prepared.select([x for x in prepared.lists if x not in dropped])
        return _with_doubt(data, prepared, run, lambda h, m: _fit(h, m, seed, settings_for))

    if by is None:
        if isinstance(loaded, dict):  # a stratified CSV without --by: pool the strata
            loaded = pool(loaded)
        hist = _prepare(loaded, chosen_lists, groups)
        result = _fit(hist, method_name, seed, settings_for)
        data = doubt(result.to_dict(), run.pending_merged if run else None)
        if run is not None:
            data["records_not_linked"] = run.records_not_linked
        if output_format is Format.json:
            typer.echo(json.dumps(data, ensure_ascii=False, allow_nan=False))
        else:
            _print_table([(None, data)], None)
            _print_doubt([(None, data)], run)
        return

    assert isinstance(loaded, dict)
    rows: list[tuple[str | None, dict]] = []
    labels = _place_labels(by, loaded) if histories is None else {}
    for value, stratum in loaded.items():
        hist = _prepare(stratum, chosen_lists, groups)
        dropped: tuple[str, ...] = ()
        if not chosen_lists:  # a list absent from a stratum is left out there, and said so
            hist, dropped = hist.without_empty_lists()
        try:
            data = {"value": value, **_fit(hist, method_name, seed, settings_for).to_dict()}
        except EstimationError as exc:
            data = _failed(value, hist, method_name, exc)
        merged_strata = run.pending_merged if run is not None else None
        data = doubt(data, (merged_strata or {}).get(value), dropped)
        if dropped:
            note = EstimateWarning(
                WarningCode.LIST_COVERS_ALMOST_NONE,
                f"list(s) {', '.join(dropped)} name nobody in this stratum and were left out",
            )
            data["warnings"].insert(0, note.to_dict())
        if value in labels:  # a gazetteer place: its id, named in both scripts
            data["label"], data["label_ar"] = labels[value]
        rows.append((labels[value][0] if value in labels else value, data))
    if output_format is Format.json:
        payload: dict[str, Any] = {"by": by, "strata": [d for _, d in rows]}
        if run is not None:
            payload["records_not_linked"] = run.records_not_linked
        typer.echo(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    else:
        _print_table(rows, by)
        _print_doubt(rows, run)
    if all(d["estimate"] is None for _, d in rows):
        errors.print("[bold red]Error:[/] no stratum could be estimated")
        raise typer.Exit(1)
