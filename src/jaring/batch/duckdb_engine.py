"""The DuckDB batch engine: streaming and memory-bounded.

Each engine has a database file of its own in the spill directory (`temp_dir`, default
`<data dir>/tmp/duckdb`), so staged tables are compressed on disk and paged through the
buffer manager; `memory_limit` (default `JARING_DUCKDB_MEMORY`, 2GB) caps the buffer
manager and everything above it spills there. Results go to Parquet with COPY … TO, never
through Python; `map_batches` streams record batches of the relation through the function
into a Parquet file. Insertion order is preserved (the default), so a staged table, a map and
a written file keep the query's ORDER BY order. The folder is removed on close.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from jaring.batch.engine import BatchError, BatchFunction, apply, check_name, first_line, translate
from jaring.kit import config

DEFAULT_BATCH_ROWS = 65_536


def default_threads() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _quoted(name: str) -> str:
    return f'"{check_name(name)}"'


def _string(value: str | Path) -> str:
    return exp.Literal.string(str(value)).sql("duckdb")


class DuckDBEngine:
    """DuckDB over Parquet and Arrow; see the module docstring."""

    name = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        temp_dir: Path | str | None = None,
        database: Path | str | None = None,
        preserve_insertion_order: bool = True,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        base = Path(temp_dir) if temp_dir is not None else config.data_dir() / "tmp" / "duckdb"
        self._dir = base.resolve() / f"batch-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._dir.mkdir(parents=True, mode=0o700)
        self._batch_rows = int(batch_rows)
        self._kinds: dict[str, str] = {}
        self._counter = itertools.count()
        self._closed = False
        settings: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit or config.duckdb_memory_limit(),
            "threads": int(threads or default_threads()),
            "temp_directory": str(self._dir / "spill"),
            "preserve_insertion_order": preserve_insertion_order,
            "autoinstall_known_extensions": False,
        }
        target = str(database) if database is not None else str(self._dir / "batch.duckdb")
        try:
            self._con = duckdb.connect(target, config=settings)
            self._con.execute("SET enable_progress_bar = false").fetchall()
        except duckdb.Error as exc:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise BatchError(first_line(exc), engine=self.name) from exc

    # --- the port -------------------------------------------------------------------------

    def register(self, name: str, source: Path | pa.Table) -> None:
        check_name(name)
        self._check_open()
        if isinstance(source, pa.Table):
            with self._errors():
                self._drop(name)
                self._con.register(name, source)
            self._kinds[name.lower()] = "arrow"
            return
        path = Path(source)
        if path.is_dir():
            pattern = path / "*.parquet"
        elif path.is_file():
            pattern = path
        else:
            raise BatchError(f"{path}: no such file or directory", engine=self.name)
        self._view(name, f"SELECT * FROM read_parquet({_string(pattern)})")

    def stage(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> int:
        check_name(name)
        self._check_open()
        query = translate(sql, "duckdb", params)
        scratch = f"__jaring_stage_{next(self._counter)}"
        with self._errors():
            self._run(f"CREATE TABLE {_quoted(scratch)} AS {query}")
            self._drop(name)
            self._run(f"ALTER TABLE {_quoted(scratch)} RENAME TO {_quoted(name)}")
            self._kinds[name.lower()] = "table"
            return self._count(name)

    def view(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> None:
        check_name(name)
        self._check_open()
        self._view(name, translate(sql, "duckdb", params))

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self._check_open()
        query = translate(sql, "duckdb", params)
        with self._errors():
            return self._con.sql(query).to_arrow_table()

    def write(self, sql: str, out: Path, params: Mapping[str, Any] | None = None) -> int:
        self._check_open()
        query = translate(sql, "duckdb", params)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:12]}")
        try:
            with self._errors():
                rows = self._run(f"COPY ({query}) TO {_string(partial)} (FORMAT parquet, COMPRESSION zstd)")
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
        return int(rows[0][0])

    def stream(self, sql: str, params: Mapping[str, Any] | None = None) -> Iterator[pa.RecordBatch]:
        self._check_open()
        query = translate(sql, "duckdb", params)
        with self._errors():
            reader = self._con.sql(query).to_arrow_reader(self._batch_rows)
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (duckdb.Error, pa.ArrowException) as exc:
                    raise BatchError(first_line(exc), engine=self.name) from exc
                yield batch
        finally:
            reader.close()

    def map_batches(self, name: str, source: str, fn: BatchFunction, schema: pa.Schema) -> int:
        check_name(name)
        check_name(source)
        self._check_open()
        path = self._dir / f"map-{name.lower()}-{next(self._counter)}.parquet"
        rows = 0
        with self._errors():
            reader = self._con.sql(f"SELECT * FROM {_quoted(source)}").to_arrow_reader(self._batch_rows)
        try:
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    result = apply(fn, schema, batch, self.name)
                    writer.write_batch(result)
                    rows += result.num_rows
        except (duckdb.Error, pa.ArrowException) as exc:
            path.unlink(missing_ok=True)
            raise BatchError(first_line(exc), engine=self.name) from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        finally:
            reader.close()
        self._view(name, f"SELECT * FROM read_parquet({_string(path)})")
        return rows

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._con.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- inside ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            raise BatchError(first_line(exc), engine=self.name) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise BatchError("the engine is closed", engine=self.name)

    def _run(self, sql: str) -> list[Any]:
        """Run one statement to its end (DuckDB refuses new work beside an unfinished result)."""
        return self._con.execute(sql).fetchall()

    def _count(self, name: str) -> int:
        return int(self._run(f"SELECT count(*) FROM {_quoted(name)}")[0][0])

    def _view(self, name: str, select: str) -> None:
        with self._errors():
            self._drop(name)
            self._run(f"CREATE VIEW {_quoted(name)} AS {select}")
        self._kinds[name.lower()] = "view"

    def _drop(self, name: str) -> None:
        kind = self._kinds.pop(name.lower(), None)
        if kind == "arrow":
            self._con.unregister(name)
        elif kind == "view":
            self._run(f"DROP VIEW IF EXISTS {_quoted(name)}")
        elif kind == "table":
            self._run(f"DROP TABLE IF EXISTS {_quoted(name)}")
