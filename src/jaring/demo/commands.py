"""`jaring demo load`: the whole demo world on the configured store, with progress per step."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from jaring.demo.plan import DEFAULT_PERSONS


class RichDisplay:
    """A spinner (and a bar where the step knows its size) per step on a terminal; one line
    per finished step either way, with its time."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.title = ""

    def start(self, title: str) -> None:
        self.title = title
        if not self.console.is_terminal:
            self.console.print(f"… {title}")
            return
        columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
        self.progress = Progress(*columns, console=self.console, transient=True)
        self.progress.start()
        self.task = self.progress.add_task(title, total=None)

    def note(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"{self.title}: {text}")

    def advance(self, done: int, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, total=total)

    def finish(self, result: object) -> None:
        from jaring.demo.load import StepResult

        if self.progress is not None:
            self.progress.stop()
            self.progress = self.task = None
        assert isinstance(result, StepResult)
        took = f"[dim]({result.seconds:.1f} s)[/dim]"
        self.console.print(f"[green]✓[/green] {result.title} — {result.summary} {took}")


@click.group()
def demo() -> None:
    """The demo world (Data demo): a registry, sponsors, members, a year of payments, claims."""


@demo.command("load")
@click.option("--persons", type=click.IntRange(min=2_000), default=DEFAULT_PERSONS, show_default=True,
              help="Persons in the synthetic registry.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the registry.")
@click.option("--fresh", is_flag=True, help="Empty the store first and load again.")
def demo_load(persons: int, seed: int, fresh: bool) -> None:
    """Load the demo into the configured store (idempotent: a loaded store is left as it is)
    and print the demo accounts."""
    from jaring.demo.accounts import accounts_table
    from jaring.demo.load import load
    from jaring.kit.i18n import language

    console = Console(width=None if sys.stdout.isatty() else 120)
    outcome = load(persons=persons, seed=seed, fresh=fresh, display=RichDisplay(console))
    if outcome.already_loaded:
        console.print("Data demo sudah dimuat; tidak ada yang diubah (--fresh untuk memuat ulang).")
    else:
        for line in outcome.checks:
            console.print(f"[green]✓[/green] {line}")
        console.print(f"Total: {outcome.seconds:.1f} s")
    console.print(accounts_table(language()))
