"""Selection of N trajectories from a pool: category quotas, then length, similarity or a seeded random draw.

Every rule is a sort with a final tie-break on a seeded hash of the problem id, so the result depends
only on the pool's content, the params and the seed, never on row order.

Usage::

    from ladder.curate.select import category_quotas, select_rows
    quotas = category_quotas(pool["category"].value_counts().to_dict(), "diverse", 1000)
    chosen = select_rows(pool, quotas, length="long", similarity="none", seed=0)
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ladder.curate.params import STUDY_CATEGORIES
from ladder.curate.sources import CurationError, seeded_key

ALL = "all"


def category_quotas(available: Mapping[str, int], category: str, n: int) -> dict[str, int]:
    """How many rows to take from each category; an error says how many there are when ``n`` is too large.

    "diverse" takes equal parts of the seven study categories; a category with fewer rows than its
    part gives all it has and the rest is shared equally by the others (manifest records the result).
    """
    if category == ALL:
        total = sum(available.values())
        if total < n:
            raise CurationError(f"asked for n={n} trajectories but the pool holds {total} after filters")
        return {ALL: n}
    if category != "diverse":
        have = int(available.get(category, 0))
        if have < n:
            raise CurationError(
                f"asked for n={n} trajectories of category '{category}' but the pool holds {have} "
                f"after filters and decontamination"
            )
        return {category: n}
    have = {c: int(available.get(c, 0)) for c in STUDY_CATEGORIES}
    if sum(have.values()) < n:
        raise CurationError(
            f"asked for n={n} diverse trajectories but the seven study categories hold {sum(have.values())} "
            f"after filters and decontamination ({', '.join(f'{c}: {k}' for c, k in have.items())})"
        )
    quotas: dict[str, int] = {}
    open_categories = sorted(have, key=lambda c: (have[c], STUDY_CATEGORIES.index(c)))
    remaining = n
    while open_categories:
        share = remaining // len(open_categories)
        smallest = open_categories[0]
        if have[smallest] <= share:
            quotas[smallest] = have[smallest]
            remaining -= have[smallest]
            open_categories.pop(0)
            continue
        # Everyone left can give an equal share; the remainder goes one each in the study's category order.
        extra = remaining - share * len(open_categories)
        for c in sorted(open_categories, key=STUDY_CATEGORIES.index):
            quotas[c] = share + (1 if extra > 0 else 0)
            extra -= 1
        break
    return {c: quotas[c] for c in STUDY_CATEGORIES if quotas.get(c)}


def _ranked(group: pd.DataFrame, length: str, similarity: str) -> pd.DataFrame:
    if similarity == "similar":
        return group.sort_values(["best_rank", "similarity", "_key"], ascending=[True, False, True])
    if similarity == "dissimilar":
        return group.sort_values(["similarity", "_key"])
    if length == "short":
        return group.sort_values(["n_tokens", "_key"])
    if length == "long":
        return group.sort_values(["n_tokens", "_key"], ascending=[False, True])
    return group.sort_values("_key")


def select_rows(
    pool: pd.DataFrame, quotas: Mapping[str, int], length: str, similarity: str, seed: int
) -> pd.DataFrame:
    """Take ``quotas[c]`` rows of each category by the length or similarity rule; rows come out in a seeded shuffle.

    ``pool`` needs ``problem_id``, ``category``, ``n_tokens``, and for similarity ``similarity`` (the highest
    cosine similarity to any anchor) and ``best_rank`` (see ``ladder.curate.similarity.nearest_rank``).
    """
    keyed = pool.assign(_key=[seeded_key(seed, "select", p) for p in pool["problem_id"]])
    parts = []
    for category, quota in quotas.items():
        group = keyed if category == ALL else keyed[keyed["category"] == category]
        parts.append(_ranked(group, length, similarity).head(quota))
    chosen = pd.concat(parts) if parts else keyed.head(0)
    return chosen.sort_values("_key").drop(columns="_key").reset_index(drop=True)
