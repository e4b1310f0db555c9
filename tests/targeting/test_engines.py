"""One targeting on DuckDB and on Spark (local mode): every control total and the ranked list
agree, and either engine reproduces the other's frozen run."""

from __future__ import annotations

import pytest

from jaring.sponsors.targets import set_target
from jaring.targeting import service
from tests.targeting.conftest import START, World


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_duckdb_and_spark_agree(world: World):
    set_target(
        principal=world.officer, sponsor=world.sponsor.code, rule={"desil_max": 5},
        priority=["female_head", "younger", "hazard"], url=world.url,
    )  # fmt: skip
    runs = {
        engine: service.run_targeting(
            principal=world.officer,
            sponsor=world.sponsor.code,
            snapshot=world.snapshot_id,
            start_month=START,
            engine=engine,
            url=world.url,
        )
        for engine in ("duckdb", "spark")
    }
    duck, spark = runs["duckdb"], runs["spark"]
    assert duck.eligible > 0
    assert (spark.in_scope, spark.eligible, spark.excluded, spark.eligible_by_desil) == (
        duck.in_scope, duck.eligible, duck.excluded, duck.eligible_by_desil,
    )  # fmt: skip
    assert spark.output_sha256 == duck.output_sha256
    again = service.rerun(principal=world.officer, run_id=duck.run_id, engine="spark", url=world.url)
    assert again.identical
