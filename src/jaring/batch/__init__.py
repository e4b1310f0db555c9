"""Set-based batch work over registries: one SQL text, run on DuckDB (default) or Spark."""

from jaring.batch.engine import BatchEngine, BatchError, EngineUnavailable, engine, load_sql, translate

__all__ = ["BatchEngine", "BatchError", "EngineUnavailable", "engine", "load_sql", "translate"]
