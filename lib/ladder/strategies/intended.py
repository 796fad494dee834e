"""Each Exh question's intended strategy, as a text in the samples' columns (model ``intended``).

On the synthetic mini-ladder it is the question's true chain, which ends in the operation no training trajectory
shows; its text is the teacher's trajectory of that chain. On AIME24 it is the key idea of the official solution,
in this project's words (``data/aime24_exh_strategies.yaml``, ``params.intended``), which only a judge can hold a
sample against (the proxy's similarity to it is reported beside, as a proxy).
"""

from __future__ import annotations

import pandas as pd

from ladder import paths
from ladder.aime_steps import load_intended_strategies
from ladder.strategies.exact import chain_strategy, write
from ladder.strategies.inputs import SAMPLE_COLUMNS, StrategyInputs, text_row
from ladder.strategies.pairs import INTENDED
from ladder.strategies.params import StrategiesParams
from ladder.strategies.traces import reference_solutions


def intended_rows(data: StrategyInputs, params: StrategiesParams) -> pd.DataFrame:
    """One row per Exh question of this run with a known intended strategy (SAMPLE_COLUMNS, model ``intended``)."""
    exh = sorted(q for q in set(data.samples["question_id"]) if data.tier_of.get(q) == "exh")
    rows = []
    if data.exact:
        solutions = reference_solutions(params.benchmark)  # the teacher's trajectory of the whole true chain
        for q in exh:
            rows.append(
                text_row(INTENDED, "intended", q, "exh", solutions[q], write(chain_strategy(data.problems[q])))
            )
    elif params.intended and params.benchmark == "aime24":
        table = load_intended_strategies(paths.ROOT / params.intended).set_index("question_id")
        for q in exh:
            if q in table.index:
                text = f"{table.at[q, 'strategy']}\nKey steps: {table.at[q, 'key_steps']}"
                rows.append(text_row(INTENDED, "intended", q, "exh", text, ""))
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
