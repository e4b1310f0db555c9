"""The batch port: SQL written once (DuckDB's dialect, portable subset), run on DuckDB or Spark.

Statements are parsed with SQLGlot (read="duckdb"), named `:name` parameters are replaced by
literals built as SQLGlot nodes (never by pasting text), and the tree is generated for the
engine that runs it. Vectorised Python formulas run batch by batch through `map_batches`
(DuckDB: record batches streamed from the relation; Spark: `DataFrame.mapInArrow`).

See docs/batch.md for the portable subset: the constructs verified to give identical results
on both engines, and those to avoid.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError

DIALECTS = ("duckdb", "spark")
ENGINES = DIALECTS
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT64 = (-(2**63), 2**63 - 1)
_PARAMETER = "__jaring_param_"  # what `:name` becomes between tokenizing and binding

BatchFunction = Callable[[pa.RecordBatch], pa.RecordBatch]


class BatchError(RuntimeError):
    """A statement (or a batch function) failed: the engine's first line, nothing more.

    The original exception, when there is one, is the `__cause__`."""

    def __init__(self, message: str, *, engine: str | None = None) -> None:
        super().__init__(f"{engine}: {message}" if engine else message)
        self.engine = engine


class EngineUnavailable(BatchError):
    """The engine cannot start on this machine (for Spark: no Java 17 or newer)."""


class BatchEngine(Protocol):
    """A set-based engine over Parquet and Arrow: DuckDB by default, Spark in local mode."""

    name: str

    def register(self, name: str, source: Path | pa.Table) -> None:
        """Make a Parquet file or directory, or an Arrow table, visible to SQL as `name`."""
        ...

    def stage(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Materialise the query's result as table `name`; returns its row count."""
        ...

    def view(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Name the query as `name` without computing it: each query over the view computes it
        again, with that query's filters and columns pushed into it."""
        ...

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """The query's result as an Arrow table: for small results only (counts, one person)."""
        ...

    def write(self, sql: str, out: Path, params: Mapping[str, Any] | None = None) -> int:
        """The query's result as ONE Parquet file at `out`, in the query's ORDER BY order;
        returns the rows written."""
        ...

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[pa.RecordBatch]:
        """The query's result as record batches in its ORDER BY order, never all in memory at
        once; run nothing else on the engine until the batches are consumed or closed."""
        ...

    def map_batches(self, name: str, source: str, fn: BatchFunction, schema: pa.Schema) -> int:
        """Apply a pure, vectorised `fn` batch by batch to table `source` and register the
        output (with `schema`) as `name`; returns its row count. `fn` must not depend on where
        batches begin or end: the engines cut them differently."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def engine(name: str = "duckdb", **options: Any) -> BatchEngine:
    """A new engine: "duckdb" (default; options: memory_limit, threads, temp_dir, database,
    preserve_insertion_order, batch_rows) or "spark" (options: master, driver_memory,
    shuffle_partitions, work_dir, batch_rows, settings: extra Spark SQL settings)."""
    if name == "duckdb":
        from jaring.batch.duckdb_engine import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        from jaring.batch.spark_engine import SparkEngine

        return SparkEngine(**options)
    raise ValueError(f"unknown batch engine {name!r}; expected one of: {', '.join(ENGINES)}")


# --- SQL files --------------------------------------------------------------------------------


def load_sql(name: str) -> str:
    """The text of `src/jaring/batch/sql/<name>.sql` (package data)."""
    if not _NAME.match(name):
        raise ValueError(f"SQL file name {name!r} must be letters, digits and underscores")
    folder = resources.files("jaring.batch").joinpath("sql")
    path = folder.joinpath(f"{name}.sql")
    if not path.is_file():
        known = sorted(p.name[: -len(".sql")] for p in folder.iterdir() if p.name.endswith(".sql"))
        raise ValueError(f"no SQL file {name}.sql in jaring/batch/sql (there are: {', '.join(known)})")
    return path.read_text(encoding="utf-8")


def check_name(name: str) -> str:
    """A table or view name the engines accept unquoted-equivalent: letters, digits, `_`."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"table name {name!r} must be letters, digits and underscores, not starting with a digit"
        )
    return name


# --- translation ------------------------------------------------------------------------------


def translate(sql: str, dialect: str, params: Mapping[str, Any] | None = None) -> str:
    """`sql` (one query in DuckDB's dialect, `:name` placeholders) with `params` bound as
    literals, generated for `dialect` ("duckdb" or "spark").

    Parameter values: int (64-bit), str, bool, date (not datetime), bytes (as `unhex('…')`),
    None, and lists/tuples of those (not None) only as `IN (:name)`, expanded to the list's
    literals. An empty list makes the IN predicate FALSE (so `NOT IN` is TRUE), as for an
    empty set. Missing or unused parameters are a ValueError naming them; a statement that
    does not parse or cannot be generated for the dialect is a BatchError.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    tree = _parse(sql)
    _bind(tree, dict(params or {}))
    try:
        return tree.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE, comments=False)
    except SqlglotError as exc:
        raise BatchError(f"cannot translate the statement to {dialect}: {first_line(exc)}") from None


def _mark_parameters(sql: str) -> str:
    """`:name` → a column reference SQLGlot parses wherever an expression may stand.

    SQLGlot's DuckDB dialect reads `:name` as a placeholder only in some positions (not
    first in a SELECT list, not inside `year(…)`: DuckDB's prefix aliases `alias: expr`
    get in the way), so each `:name` is found with the tokenizer (strings, comments and
    `::` casts are not parameters) and bound after parsing."""
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
    except SqlglotError as exc:
        raise BatchError(f"the SQL does not parse: {first_line(exc)}") from None
    pieces: list[str] = []
    done = 0
    for colon, word in itertools.pairwise(tokens):
        if colon.token_type.name != "COLON" or word.start != colon.end + 1:
            continue
        text = sql[word.start : word.end + 1]
        if _NAME.match(text):
            pieces += [sql[done : colon.start], _PARAMETER + text]
            done = word.end + 1
    return "".join([*pieces, sql[done:]])


def _parse(sql: str) -> exp.Query:
    try:
        statements = [s for s in sqlglot.parse(_mark_parameters(sql), read="duckdb") if s is not None]
    except ParseError as exc:
        message = first_line(exc).replace(_PARAMETER, ":")
        raise BatchError(f"the SQL does not parse: {message}") from None
    if len(statements) != 1:
        raise BatchError(f"expected exactly one SQL query, got {len(statements)} statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise BatchError(f"expected a query (SELECT …), got a {tree.key.upper()} statement")
    return tree


def _bind(tree: exp.Query, params: dict[str, Any]) -> None:
    if tree.find(exp.Parameter) or tree.find(exp.Placeholder):
        raise ValueError("write parameters as :name ($name and ? are not supported)")
    placeholders = [
        column
        for column in tree.find_all(exp.Column)
        if not column.table and column.name.startswith(_PARAMETER)
    ]
    if any(p.this.quoted for p in placeholders):
        raise ValueError(f"identifiers starting with {_PARAMETER} are reserved for parameters")
    names = {id(p): p.name[len(_PARAMETER) :] for p in placeholders}
    used = set(names.values())
    missing = sorted(used - params.keys())
    unused = sorted(params.keys() - used)
    if missing or unused:
        parts = []
        if missing:
            parts.append("missing parameter(s): " + ", ".join(f":{n}" for n in missing))
        if unused:
            parts.append("unknown parameter(s) (not in the SQL): " + ", ".join(f":{n}" for n in unused))
        raise ValueError("; ".join(parts))
    lists: dict[int, exp.In] = {}
    for placeholder in placeholders:
        name = names[id(placeholder)]
        value = params[name]
        if isinstance(value, list | tuple):
            parent = placeholder.parent
            if not isinstance(parent, exp.In) or placeholder.arg_key != "expressions":
                raise ValueError(f"parameter :{name} is a list; a list is allowed only as IN (:{name})")
            lists[id(parent)] = parent
        else:
            placeholder.replace(literal(value, name))
    for predicate in lists.values():
        expanded: list[exp.Expr] = []
        for item in predicate.expressions:
            if id(item) in names:
                name = names[id(item)]
                if any(v is None for v in params[name]):
                    raise ValueError(f"parameter :{name}: a list for IN must not contain None")
                expanded.extend(literal(v, name) for v in params[name])
            else:
                expanded.append(item)
        if expanded:
            predicate.set("expressions", expanded)
        else:
            predicate.replace(exp.false())


def literal(value: Any, name: str = "value") -> exp.Expr:
    """A SQLGlot literal node for one parameter value (see `translate` for the types)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"parameter :{name}: {value} does not fit in a 64-bit integer")
        number = exp.Literal.number(abs(value))
        return exp.Neg(this=number) if value < 0 else number
    if isinstance(value, datetime):
        raise ValueError(f"parameter :{name}: pass a date, not a datetime (timestamps are not portable)")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("date"))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return exp.Unhex(this=exp.Literal.string(bytes(value).hex()))
    raise ValueError(
        f"parameter :{name} has type {type(value).__name__}; use int, str, bool, date, bytes, None "
        "or a list of them (money is integer Rupiah: no floats)"
    )


# --- shared helpers for the implementations ----------------------------------------------------


def first_line(exc: BaseException) -> str:
    """The line of an engine's message that says what went wrong."""
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if "Traceback (most recent call last)" in text:
        # A Python worker's traceback: the exception is the last line.
        unindented = [line for line in text.splitlines() if line and not line[0].isspace()]
        if unindented:
            return unindented[-1].strip()
    for line in lines:
        if line.startswith("An error occurred while calling"):
            continue
        return line.lstrip(": ").strip()
    return type(exc).__name__


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The batch a map function returned, checked against (and cast to) the declared schema."""
    if not isinstance(batch, pa.RecordBatch):
        raise TypeError(f"the function returned {type(batch).__name__}, not a pyarrow.RecordBatch")
    if batch.schema.names != schema.names:
        raise TypeError(f"the function returned columns {batch.schema.names}, declared {schema.names}")
    if batch.schema.equals(schema):
        return batch
    arrays = [
        column if column.type == field.type else column.cast(field.type, safe=True)
        for column, field in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def apply(fn: BatchFunction, schema: pa.Schema, batch: pa.RecordBatch, engine: str) -> pa.RecordBatch:
    """Run `fn` on one batch; its failure is a BatchError naming the exception."""
    try:
        return conform(fn(batch), schema)
    except Exception as exc:
        message = f"{type(exc).__name__}: {first_line(exc)}"
        raise BatchError(f"the batch function failed: {message}", engine=engine) from exc
