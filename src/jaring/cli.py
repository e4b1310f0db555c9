"""The `jaring` command line.

Every user error ends in one line on stderr and exit code 2; no traceback is
shown unless JARING_DEBUG=1.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import date
from typing import Any

import click
from rich.console import Console

from jaring.kit.errors import JaringError
from jaring.kit.i18n import language
from jaring.kit.money import MoneyError, parse_rupiah
from jaring.kit.periods import Month, PeriodError, parse_date
from jaring.rules import calculators
from jaring.rules.calculation import Calculation
from jaring.rules.errors import RulesError
from jaring.rules.formulas.benefits import JHT_REASONS
from jaring.rules.formulas.codes import FUNDINGS, RISK_CLASSES, SECTORS, SEGMENTS
from jaring.rules.render import render
from jaring.rules.show import show_all, show_one

USER_ERRORS = (RulesError, MoneyError, PeriodError, JaringError)


class RupiahType(click.ParamType):
    name = "RUPIAH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return parse_rupiah(value, what=_name(param))
        except MoneyError as exc:
            self.fail(str(exc), param, ctx)


class MonthType(click.ParamType):
    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Month:
        if isinstance(value, Month):
            return value
        try:
            return Month.parse(str(value))
        except PeriodError as exc:
            self.fail(str(exc), param, ctx)


class DateType(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except PeriodError as exc:
            self.fail(str(exc), param, ctx)


def _name(param: click.Parameter | None) -> str:
    return param.name.replace("_", " ") if param and param.name else "amount"


RUPIAH, MONTH, DATE = RupiahType(), MonthType(), DateType()
NON_NEGATIVE = click.IntRange(min=0)


def _output(calc: Calculation, as_json: bool, lang: str) -> None:
    if as_json:
        click.echo(json.dumps(calc.to_json(lang), ensure_ascii=False, indent=2))
    else:
        render(calc, _console(), lang)


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 140, soft_wrap=False)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
lang_option = click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default=None,
    help="Language (default: JARING_LANG or id).",
)
unconfirmed_option = click.option(
    "--allow-unconfirmed",
    is_flag=True,
    default=None,
    help="Use provisional values of unconfirmed (U) parameters, with a warning.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jaring")
def cli() -> None:
    """Jaring: Jamsostek administration for informal and vulnerable workers."""


@cli.group()
def calc() -> None:
    """Contribution and benefit calculators (the regulation in force on the date given)."""


@calc.command()
@click.option("--segment", type=click.Choice(SEGMENTS), required=True, help="bpu, pu or pmi.")
@click.option("--month", type=MONTH, required=True, help="Contribution month, YYYY-MM.")
@click.option("--income", type=RUPIAH, help="BPU: declared income level.")
@click.option("--wage", type=RUPIAH, help="PU: monthly wage (basic + fixed allowances).")
@click.option("--daily-wage", type=RUPIAH, help="PU: daily wage (× 25 for the month).")
@click.option("--programs", help="Comma list: jkk,jkm[,jht][,jp] (BPU default jkk,jkm; PU jkk,jkm,jht,jp).")
@click.option("--risk-class", type=click.Choice(RISK_CLASSES), help="PU: JKK risk class.")
@click.option("--sector", type=click.Choice(SECTORS), help="BPU: sector (default other).")
@click.option("--funding", type=click.Choice(FUNDINGS), help="BPU: who pays (default self).")
@click.option("--months-paid", type=int, help="BPU: months paid at once, 1, 3, 6 or 12 (default 1).")
@click.option("--no-relief", is_flag=True, help="Compute without any relief programme.")
@click.option("--no-jkp", is_flag=True, default=None, help="PU: the worker is not registered in JKP.")
@click.option("--labour-intensive", is_flag=True, default=None, help="PU: employer eligible for PP 7/2025.")
@click.option("--months-late", type=NON_NEGATIVE, help="PU: months the payment is late (late fine).")
@click.option("--contract-months", type=int, help="PMI: contract length in months (24).")
@click.option("--individual", is_flag=True, default=None, help="PMI: placed individually, not by an agency.")
@click.option("--extension-months", type=NON_NEGATIVE, help="PMI: months of extension or overstay.")
@click.option("--jht", type=RUPIAH, help="PMI: monthly JHT amount (Rp50.000–600.000).")
@click.option(
    "--income-mode",
    type=click.Choice(["listed", "any"]),
    help="BPU: 'listed' levels only (default, or JARING_BPU_INCOME) or 'any' income ≥ the lowest level.",
)
@unconfirmed_option
@json_option
@lang_option
def contribution(**opts: Any) -> None:
    """Monthly contribution for a BPU, PU or PMI participant."""
    programs = opts["programs"]
    calc_ = calculators.contribution(
        segment=opts["segment"],
        month=opts["month"],
        income=opts["income"],
        wage=opts["wage"],
        daily_wage=opts["daily_wage"],
        programs=None if programs is None else [p.strip() for p in programs.split(",") if p.strip()],
        risk_class=opts["risk_class"],
        sector=opts["sector"],
        funding=opts["funding"],
        months_paid=opts["months_paid"],
        relief=not opts["no_relief"],
        jkp_registered=None if opts["no_jkp"] is None else not opts["no_jkp"],
        labour_intensive=opts["labour_intensive"],
        months_late=opts["months_late"],
        contract_months=opts["contract_months"],
        individual=opts["individual"],
        extension_months=opts["extension_months"],
        jht=opts["jht"],
        income_mode=opts["income_mode"],
        allow_unconfirmed=opts["allow_unconfirmed"],
    )
    _output(calc_, opts["as_json"], opts["lang"] or language())


@calc.group()
def benefit() -> None:
    """Benefits as the regulation in force on the event date says."""


def _benefit_command(
    name: str, help_text: str, *options: Callable[[Any], Any]
) -> Callable[[Callable[..., Calculation]], Any]:
    def wrap(fn: Callable[..., Calculation]) -> Any:
        def command(as_json: bool, lang: str | None, **kwargs: Any) -> None:
            _output(fn(**kwargs), as_json, lang or language())

        command.__doc__ = help_text
        decorated: Any = command
        for option in reversed((*options, unconfirmed_option, json_option, lang_option)):
            decorated = option(decorated)
        return benefit.command(name)(decorated)

    return wrap


ARREARS = click.option(
    "--arrears-months",
    type=NON_NEGATIVE,
    help="Consecutive months of unpaid contributions (default 0).",
)
SEGMENT = click.option(
    "--segment", type=click.Choice(["bpu", "pu"]), help="bpu (default) or pu: who bears arrears."
)
WAGE = click.option("--wage", type=RUPIAH, required=True, help="Monthly wage (BPU: declared income).")
EVENT = click.option("--event-date", type=DATE, required=True, help="Date of the accident, YYYY-MM-DD.")


@_benefit_command(
    "jkm",
    "JKM: death not caused by work.",
    click.option("--death-date", type=DATE, required=True, help="Date of death, YYYY-MM-DD."),
    click.option("--contribution-months", type=NON_NEGATIVE, help="Contribution months (scholarship)."),
    ARREARS,
)
def _jkm(**kw: Any) -> Calculation:
    return calculators.benefit_jkm(**kw)


@_benefit_command("jkk-death", "JKK: death from a work accident.", WAGE, EVENT, ARREARS, SEGMENT)
def _jkk_death(**kw: Any) -> Calculation:
    return calculators.benefit_jkk_death(**kw)


@_benefit_command(
    "jkk-disability",
    "JKK: disability after a work accident (--percent 100: total permanent).",
    WAGE,
    click.option("--percent", required=True, help="Disability percentage from the table (1–100)."),
    click.option("--function-loss-percent", help="Functional loss in percent (default 100)."),
    EVENT,
    ARREARS,
    SEGMENT,
)
def _jkk_disability(**kw: Any) -> Calculation:
    return calculators.benefit_jkk_disability(**kw)


@_benefit_command(
    "stmb",
    "JKK: temporary incapacity to work (STMB).",
    WAGE,
    click.option("--months", type=NON_NEGATIVE, required=True, help="Months unable to work."),
    EVENT,
    ARREARS,
    SEGMENT,
)
def _stmb(**kw: Any) -> Calculation:
    return calculators.benefit_stmb(**kw)


@_benefit_command(
    "jkp",
    "JKP: job-loss benefit for a wage earner.",
    WAGE,
    click.option("--phk-date", type=DATE, required=True, help="Date of dismissal (PHK), YYYY-MM-DD."),
    click.option(
        "--contribution-months",
        type=NON_NEGATIVE,
        required=True,
        help="JKP contribution months within the 24 months before the PHK.",
    ),
    click.option(
        "--consecutive-months",
        type=NON_NEGATIVE,
        help="PP 37/2021: consecutive months just before the PHK.",
    ),
)
def _jkp(**kw: Any) -> Calculation:
    return calculators.benefit_jkp(**kw)


@_benefit_command(
    "jht",
    "JHT: old-age savings paid out (whole balance, or the one-time partial withdrawal).",
    click.option("--balance", type=RUPIAH, required=True, help="JHT balance with its returns."),
    click.option("--reason", type=click.Choice(JHT_REASONS), required=True, help="Why it is paid."),
    click.option("--event-date", type=DATE, required=True, help="Date of the event, YYYY-MM-DD."),
    click.option("--membership-months", type=NON_NEGATIVE, help="Months of membership (partial)."),
)
def _jht(**kw: Any) -> Calculation:
    return calculators.benefit_jht(**kw)


@_benefit_command(
    "pmi-jkm",
    "Death benefit of a migrant worker (PMI).",
    click.option("--death-date", type=DATE, required=True, help="Date of death, YYYY-MM-DD."),
)
def _pmi_jkm(**kw: Any) -> Calculation:
    return calculators.benefit_pmi_jkm(**kw)


@cli.group()
def rules() -> None:
    """The regulation parameters: values, dates, references and confidence."""


@rules.command("show")
@click.argument("parameter", required=False)
@click.option("--date", "on", type=DATE, help="Show the value in force on this date (default today).")
@json_option
@lang_option
def rules_show(parameter: str | None, on: date | None, as_json: bool, lang: str | None) -> None:
    """List every parameter in force on a date, or one parameter's full history."""
    day = on or date.today()
    if parameter:
        show_one(parameter, day, as_json, lang or language(), _console())
    else:
        show_all(day, as_json, lang or language(), _console())


# Domain command groups
def _register_domains() -> None:
    from jaring.accounts.commands import serve, users
    from jaring.claims.commands import claims
    from jaring.contributions.billing_commands import billing
    from jaring.contributions.payment_commands import channels, coverage, ledger, payments, reconcile
    from jaring.demo.commands import demo
    from jaring.kit.commands import audit, db
    from jaring.membership.commands import members
    from jaring.monitoring.commands import monitoring
    from jaring.reference.commands import reference, region
    from jaring.registry.commands import nik, registry
    from jaring.sponsors.commands import sponsors
    from jaring.targeting.budget_commands import budget
    from jaring.targeting.commands import target

    cli.add_command(db)
    cli.add_command(users)
    cli.add_command(serve)
    cli.add_command(audit)

    cli.add_command(reference)
    cli.add_command(region)
    cli.add_command(registry)
    cli.add_command(nik)
    cli.add_command(members)
    cli.add_command(sponsors)
    cli.add_command(target)
    cli.add_command(budget)
    cli.add_command(billing)
    cli.add_command(payments)
    cli.add_command(channels)
    cli.add_command(coverage)
    cli.add_command(ledger)
    cli.add_command(reconcile)
    cli.add_command(claims)
    cli.add_command(monitoring)
    cli.add_command(demo)


_register_domains()


def _usage_message(exc: click.UsageError) -> str:
    message = exc.format_message().rstrip(".")
    ctx = exc.ctx
    where = ctx.command_path if ctx else "jaring"
    if isinstance(exc, click.NoSuchOption) and ctx is not None:
        accepted = sorted(opt for p in ctx.command.params for opt in p.opts if opt.startswith("--"))
        return f"{where}: {message}; accepted options: {', '.join(accepted)}"
    return f"{where}: {message} (see '{where} --help')"


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="jaring", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        if exc.ctx is not None and isinstance(exc, click.exceptions.NoArgsIsHelpError):
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        click.echo(f"jaring: error: {_usage_message(exc)}", err=True)
        sys.exit(2)
    except USER_ERRORS as exc:
        click.echo(f"jaring: error: {str(exc).rstrip('.')}.", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("jaring: aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug, not the user's fault: one line, details on request
        if os.environ.get("JARING_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"jaring: internal error ({type(exc).__name__}); set JARING_DEBUG=1 for details and report it",
            err=True,
        )
        sys.exit(1)
