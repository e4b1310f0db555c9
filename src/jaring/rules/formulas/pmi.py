"""Contributions of Indonesian migrant workers (PMI), Permenaker 4/2023."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from jaring.kit.money import Int64Array
from jaring.rules.engine import Days, RuleBook, Usage
from jaring.rules.errors import InvalidInput


def pmi_contributions(
    days: Days,
    contract_months: Int64Array,
    individual: npt.NDArray[np.bool_],
    extension_months: Int64Array,
    jht: Int64Array,
    rules: RuleBook,
    usage: Usage,
) -> dict[str, Int64Array]:
    everyone = np.ones(len(days), dtype=bool)
    allowed = rules["pmi.contract_months"]
    for i, entry in enumerate(allowed.entries):
        rows = allowed.indices(days) == i
        bad = rows & ~np.isin(contract_months, np.asarray(entry.value, dtype=np.int64))
        if bad.any():
            raise InvalidInput(
                f"a {int(contract_months[np.argmax(bad)])}-month PMI contract has no sourced "
                f"contribution; sourced contract lengths: {', '.join(map(str, entry.value))} months"
            )
    low = rules["pmi.jht_minimum"].scalars(days, usage, mask=everyone)
    high = rules["pmi.jht_maximum"].scalars(days, usage, mask=everyone)
    bad_jht = (jht != 0) & ((jht < low) | (jht > high))
    if bad_jht.any():
        i = int(np.argmax(bad_jht))
        raise InvalidInput(
            f"PMI JHT of Rp{int(jht[i]):,} is outside the range a PMI may choose "
            f"(Rp{int(low[i]):,} to Rp{int(high[i]):,} a month, or 0 for none)".replace(",", ".")
        )
    pre = rules["pmi.pre_departure"].scalars(days, usage, mask=everyone)
    return {
        "pmi_pre_departure": np.where(individual, 0, pre),
        "pmi_placement": rules["pmi.placement"].scalars(days, usage, mask=everyone),
        "pmi_extension": rules["pmi.extension_monthly"].scalars(days, usage, mask=everyone)
        * extension_months,
        "jht": jht.astype(np.int64),
    }
