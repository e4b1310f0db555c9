from datetime import date
from pathlib import Path

import numpy as np
import pytest

from jaring.kit.periods import day_number
from jaring.rules.engine import PARAMETERS_DIR, Days, RuleBook, Usage, load_parameter
from jaring.rules.errors import NotInForce, ParameterFileError, UnconfirmedValue

VALID = """\
name: demo.flat
label: Contoh
label_en: Example
description: A test quantity.
kind: amount
values:
  - from: 2020-01-01
    value: 100
    confidence: A
    reference:
      {regulation: PP 1/2020, article: Pasal 1, published: 2019-12-01, checked: 2026-01-01, source: test}
  - from: 2021-01-01
    to: 2022-01-01
    value: 200
    confidence: B
    reference:
      {regulation: PP 2/2021, article: Pasal 2, published: 2020-12-01, checked: 2026-01-01, source: test}
"""


def write(tmp_path: Path, text: str, name: str = "flat") -> Path:
    folder = tmp_path / "demo"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_every_packaged_parameter_loads_and_cites_its_regulation():
    book = RuleBook.load(PARAMETERS_DIR)
    assert len(book) >= 50
    for name in book:
        for entry in book[name].entries:
            assert entry.reference.regulation
            assert entry.reference.article
            assert entry.confidence in "ABCU"


def test_lookup_respects_half_open_ranges(tmp_path):
    param = load_parameter(write(tmp_path, VALID))
    usage = Usage()
    assert param.value(date(2020, 12, 31), usage) == 100
    assert param.value(date(2021, 1, 1), usage) == 200
    assert param.value(date(2021, 12, 31), usage) == 200
    with pytest.raises(NotInForce, match="2022-01-01"):
        param.value(date(2022, 1, 1), usage)
    with pytest.raises(NotInForce, match="2019-12-31"):
        param.value(date(2019, 12, 31), usage)


def test_vectorised_lookup_matches_scalar_lookup(tmp_path):
    param = load_parameter(write(tmp_path, VALID))
    days = [date(2020, 1, 1), date(2020, 6, 1), date(2021, 1, 1), date(2021, 12, 31)]
    numbers = Days([day_number(d) for d in days])
    assert param.scalars(numbers, Usage()).tolist() == [param.value(d, Usage()) for d in days]
    outside = Days([day_number(date(2023, 1, 1))])
    assert param.scalars(outside, Usage(), default=0).tolist() == [0]


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("value: 100", "value: 100.5", "values.0.value", "whole Rupiah"),
        ("kind: amount", "kind: money", "kind", "Input should be"),
        ("    confidence: A\n", "    confidence: Z\n", "values.0.confidence", "Input should be"),
        ("from: 2021-01-01", "from: 2019-01-01", "values", "list them by date"),
        ("value: 200\n    confidence: B", "value: null\n    confidence: B", "values.1", "unconfirmed"),
        ("name: demo.flat", "name: demo.other", "name", "demo.flat"),
        ("published: 2019-12-01", "published: 2019-13-01", "values.0.reference.published", "date"),
    ],
)
def test_a_malformed_file_names_the_file_the_key_and_the_reason(tmp_path, old, new, key, reason):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(ParameterFileError) as caught:
        load_parameter(path)
    message = str(caught.value)
    assert str(path) in message
    assert caught.value.key == key
    assert reason.lower() in message.lower()


def test_an_unconfirmed_value_is_never_used_silently(tmp_path):
    text = VALID.replace(
        "    value: 200\n    confidence: B\n",
        "    value: 200\n    confidence: U\n    note: conflicting sources\n",
    )
    param = load_parameter(write(tmp_path, text))
    with pytest.raises(UnconfirmedValue, match="--allow-unconfirmed"):
        param.value(date(2021, 6, 1), Usage())
    allowed = Usage(allow_unconfirmed=True)
    assert param.value(date(2021, 6, 1), allowed) == 200
    assert "conflicting sources" in allowed.warnings({param.name: param})[0]


def test_an_unknown_value_is_refused_even_when_unconfirmed_values_are_allowed(tmp_path):
    text = VALID.replace(
        "    value: 200\n    confidence: B\n",
        "    value: null\n    confidence: U\n    note: not transcribed\n",
    )
    param = load_parameter(write(tmp_path, text))
    with pytest.raises(UnconfirmedValue, match="not known yet: not transcribed"):
        param.value(date(2021, 6, 1), Usage(allow_unconfirmed=True))


def test_an_unconfirmed_cap_blocks_only_wages_above_its_known_floor():
    cap = RuleBook.load(PARAMETERS_DIR)["pu.jp_wage_cap"]
    may_2026 = Days([day_number(date(2026, 5, 1))] * 2)
    everyone = np.ones(2, dtype=bool)
    below = np.array([5_000_000, 10_547_400], dtype=np.int64)
    assert cap.cap(below, may_2026, Usage(), mask=everyone).tolist() == [5_000_000, 10_547_400]
    above = np.array([5_000_000, 12_000_000], dtype=np.int64)
    with pytest.raises(UnconfirmedValue):
        cap.cap(above, may_2026, Usage(), mask=everyone)
    usage = Usage(allow_unconfirmed=True)
    assert cap.cap(above, may_2026, usage, mask=everyone).tolist() == [5_000_000, 11_086_300]
    assert usage.unconfirmed


def test_an_overlay_directory_overrides_a_parameter_by_name(tmp_path):
    overlay = tmp_path / "pu"
    overlay.mkdir()
    source = (PARAMETERS_DIR / "pu" / "jp_wage_cap.yaml").read_text()
    confirmed = source.replace("confidence: U", "confidence: B")
    (overlay / "jp_wage_cap.yaml").write_text(confirmed)
    book = RuleBook.load(PARAMETERS_DIR, tmp_path)
    assert book["pu.jp_wage_cap"].value(date(2026, 5, 1), Usage()) == 11_086_300
