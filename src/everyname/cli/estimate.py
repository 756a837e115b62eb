"""``everyname estimate``: Multiple Systems Estimation of the deaths no list has documented.

The command parses its options into :class:`~everyname.store.estimating.EstimateOptions`, calls
the estimating service once (on a histories CSV with ``--histories``, else on the latest link
run, where the estimate is stored) and prints a table (with a bar chart of the strata and the
seed used) or the JSON contract of the design::

    {"method", "observed", "estimate", "lower", "upper", "level", "lists", "warnings", ...}

and with ``--by``: ``{"by": FIELD, "strata": [{"value": V, ...same keys...}, ...]}``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from everyname.cli.output import console, errors, escape, user_errors, write_json

if TYPE_CHECKING:
    from everyname.store.estimating import Estimates

# The estimation core pulls in scipy, statsmodels and numba (about a second); it is imported
# when the command runs, not whenever the program starts.


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


FLAGS = {
    "merge": "--merge",
    "lists": "--lists",
    "by": "--by",
    "method": "--method",
    "criterion": "--criterion",
    "average": "--average",
    "interval": "--interval",
    "bootstrap_replicates": "--bootstrap-replicates",
    "burn_in": "--burn-in",
    "samples": "--samples",
    "thinning": "--thinning",
    "chains": "--chains",
}


def _usage(exc: Exception) -> typer.BadParameter:
    """A settings error as a usage error naming the option (exit code 2)."""
    field = getattr(exc, "field", None)
    return typer.BadParameter(str(exc), param_hint=FLAGS.get(field or ""))


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


def _print_doubt(rows: list[tuple[str | None, dict]], run: Estimates) -> None:
    """The estimate with every pair awaiting review merged, and records left out."""
    if run.link_run is None:
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
    from everyname.store.bootstrap import configure

    configure()  # the store's estimating module defines models: Django first, as every command
    from everyname.store.estimating import EstimateOptions, InvalidSettings

    try:
        options = EstimateOptions(
            method=method.value if method else None,
            lists=tuple(x.strip() for x in lists.split(",") if x.strip()) if lists else None,
            merge=parse_merge(merge or []),
            criterion=criterion.value if criterion else None,
            average=average,
            interval=interval.value if interval else None,
            bootstrap_replicates=bootstrap_replicates,
            burn_in=burn_in,
            samples=samples,
            thinning=thinning,
            chains=chains,
        )
        options.check()  # usage errors before any work
        if histories is not None and by is not None and by != "stratum":
            raise typer.BadParameter(
                f"a histories CSV can only be split by its 'stratum' column, not {by!r};"
                " splitting by other fields needs a link run",
                param_hint="--by",
            )
        if histories is not None:
            from everyname.store.estimating import estimate_histories

            result = estimate_histories(histories, by=by, seed=seed, options=options)
        else:
            from everyname.cli.db import current_actor, open_database
            from everyname.store.estimating import estimate

            open_database()
            result = estimate(current_actor(), by=by, seed=seed, options=options)
    except InvalidSettings as exc:
        raise _usage(exc) from None

    if by is None:
        data = result.overall
        if data.get("estimate") is None:
            errors.print(f"[bold red]Error:[/] {escape(str(data.get('error')))}")
            raise typer.Exit(1)
        if output_format is Format.json:
            write_json(result.to_dict(), allow_nan=False)
        else:
            rows: list[tuple[str | None, dict]] = [(None, dict(data))]
            _print_table(rows, None)
            _print_doubt(rows, result)
            console.print(f"seed: {result.seed}")
        return

    rows = [(d.get("label") or d["value"], dict(d)) for d in result.strata]
    if output_format is Format.json:
        write_json(result.to_dict(), allow_nan=False)
    else:
        _print_table(rows, by)
        _print_doubt(rows, result)
        console.print(f"seed: {result.seed}")
    if not rows or all(d["estimate"] is None for _, d in rows):
        errors.print("[bold red]Error:[/] no stratum could be estimated")
        raise typer.Exit(1)
