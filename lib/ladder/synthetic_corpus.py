"""The mini-ladder's training data: the SFT pool that ``ladder.curate`` draws from, and the base's pretraining.

Source ``synthetic`` of the curate stage (:func:`curation_pool`): training problems of ``ladder.synthetic``
with one trajectory each (``ladder.synthetic_trajectories``; verbosity drawn per problem, R1 or Gemini style),
plus, for the ``laptop_base`` profile, what stands for the pretraining of the "instruct" base: arithmetic drills,
every trajectory form written on request (``synthetic_trajectories.WORKED_REQUESTS``) and one-step problems
answered in one line.
:func:`tokenizer_corpus` is what the tiny models' tokenizer is trained on.

Usage::

    from ladder import synthetic_corpus
    pool = synthetic_corpus.pool_frame(2000, style="r1")     # ladder.sft_pool.POOL_COLUMNS
"""

from __future__ import annotations

import random

import pandas as pd

from ladder.sft_pool import PROBLEM_TYPE_TO_CATEGORY, Pool
from ladder.synthetic import (
    BASE_MAX_STEPS,
    SFT_MAX_STEPS,
    VALUE_LIMIT,
    Step,
    evaluation_problems,
    fact,
    training_problems,
)
from ladder.synthetic_trajectories import BASE_VERBOSITY, STYLES, VERBOSITIES, WORKED_REQUESTS, trajectory

# --- the curation source ----------------------------------------------------------------------------

# Trajectory verbosity drawn per problem, like the varying lengths of real R1 traces; curation's
# length selection (short / normal / long by token count) then picks among them as it does for OpenR1.
# No answer-only trajectories: OpenR1's traces all think, and answer-only ones taught the fine-tuned model to
# guess one-step answers without writing the equation (easy fell from 1.0 to 0.77 at 20% of the pool).
VERBOSITY_WEIGHTS = {"steps": 0.6, "rechecks": 0.4}


def pool_frame(
    n_problems: int,
    style: str = "r1",
    seed: int = 0,
    verbosity: str = "mixed",
    max_steps: int = SFT_MAX_STEPS,
    error_rate: float = 0.0,
) -> pd.DataFrame:
    """Training problems with one trajectory each, in the pool columns (``ladder.sft_pool.POOL_COLUMNS``).

    ``error_rate``: the teacher's slips in R1 re-check traces, each caught and redone
    (``synthetic_trajectories.thinking``)."""
    rng = random.Random(f"verbosity-{seed}")
    rows = []
    for p in training_problems(n_problems, seed=seed, max_steps=max_steps):
        chosen = (
            rng.choices(list(VERBOSITY_WEIGHTS), weights=list(VERBOSITY_WEIGHTS.values()))[0]
            if verbosity == "mixed"
            else verbosity
        )
        rows.append(
            {
                "problem_id": p.problem_id,
                "problem": p.text,
                "answer": str(p.answer),
                "category": p.category,
                "origin": f"synthetic/{p.level}/{chosen}",
                "generation_idx": 0,
                "assistant": trajectory(p, chosen, style, error_rate),
            }
        )
    return pd.DataFrame(rows)


def arithmetic_facts() -> list[Step]:
    """Every one-step fact a training problem can use (``a op b = c`` below ``VALUE_LIMIT``, never the held-out op)."""
    candidates = (
        fact(op, a, b)
        for a in range(2, VALUE_LIMIT)
        for b in range(1, 10)
        for op in ("add", "sub", "mul", "div", "mod")
    )
    return [fact for fact in candidates if fact is not None]


def drill_frame(n_drills: int, facts_per_drill: int = 12, seed: int = 0) -> pd.DataFrame:
    """Arithmetic drills in the pool columns: the facts a real base model knows from pretraining, as equations.

    Each drill is one conversation ("Arithmetic drill 17." -> twelve random facts, one per line), so the
    "instruct" base learns the arithmetic that the SFT trajectories then chain.
    """
    rng = random.Random(f"drill-{seed}")
    facts = arithmetic_facts()
    rows = []
    for i in range(n_drills):
        lines = "\n".join(rng.choice(facts).equation for _ in range(facts_per_drill))
        rows.append(
            {
                "problem_id": f"d{seed}-{i:06d}",
                "problem": f"Arithmetic drill {i + 1}.",
                "answer": "",
                "category": "Other",
                "origin": "synthetic/drill",
                "generation_idx": 0,
                "assistant": lines,
            }
        )
    return pd.DataFrame(rows)


WORKED_WEIGHTS = {
    ("steps", "r1"): 0.4,
    ("rechecks", "r1"): 0.3,
    ("steps", "gemini"): 0.2,
    ("answer", "r1"): 0.05,
    ("answer", "gemini"): 0.05,
}


def worked_frame(n_problems: int, seed: int = 0, error_rate: float = 0.0) -> pd.DataFrame:
    """Trace forms asked for by an instruction, in the pool columns: the base's latent step-by-step skill.

    A pretrained model has seen worked solutions and writes one when asked, yet an instruct model answers a
    plain question directly. The instruction prefix (``WORKED_REQUESTS``) keeps the two apart: the base still
    answers plain problems in one line. The forms are exactly the SFT trajectories' (think block, numbered
    steps, re-checks, Gemini's equations), so the reading of the problem and the step facts are practised in
    the surface form that SFT later asks for. With ``error_rate`` > 0 the re-check form holds retries (a step
    written wrong, noticed by its check and redone): the skill of recovering is then latent in the base too,
    as it has to be learnt in pretraining (Ye et al., Physics of Language Models 2.2).
    """
    rng = random.Random(f"worked-{seed}")
    rows = []
    for p in training_problems(n_problems, seed=seed + 1000, max_steps=BASE_MAX_STEPS):
        forms = [f for f in WORKED_WEIGHTS if f[0] != "answer" or p.n_steps == 1]
        verbosity, style = rng.choices(forms, weights=[WORKED_WEIGHTS[f] for f in forms])[0]
        rows.append(
            {
                "problem_id": p.problem_id,
                "problem": f"{WORKED_REQUESTS[verbosity, style]} {p.text}",
                "answer": str(p.answer),
                "category": "Other",
                "origin": f"synthetic/worked/{verbosity}/{style}",
                "generation_idx": 0,
                "assistant": trajectory(p, verbosity, style, error_rate),
            }
        )
    return pd.DataFrame(rows)


def curation_pool(params) -> Pool:
    """``ladder.curate`` source ``synthetic`` (``params``: a ``CurateParams``): ``synthetic_pool_size`` training
    problems, plus ``synthetic_drills`` arithmetic drills and ``synthetic_worked`` worked solutions on request."""
    verbosity, n_drills, n_worked = params.synthetic_verbosity, params.synthetic_drills, params.synthetic_worked
    max_steps = 1 if verbosity == BASE_VERBOSITY else SFT_MAX_STEPS
    error_rate = params.synthetic_error_rate
    frame = pool_frame(
        params.synthetic_pool_size,
        style=params.style,
        seed=params.seed,
        verbosity=verbosity,
        max_steps=max_steps,
        error_rate=error_rate,
    )
    clash = set(frame["problem"]) & {p.text for p in evaluation_problems()}
    if clash:  # disjoint by construction; this is the check
        raise ValueError(f"{len(clash)} synthetic training problem(s) equal evaluation questions: {sorted(clash)[:3]}")
    steps = [{"step": "generated", "unit": "problems", "rows": len(frame)}]
    if n_drills:
        frame = pd.concat([frame, drill_frame(n_drills, seed=params.seed)], ignore_index=True)
        steps.append({"step": "arithmetic drills added", "unit": "conversations", "rows": len(frame)})
    if n_worked:
        frame = pd.concat([frame, worked_frame(n_worked, seed=params.seed, error_rate=error_rate)], ignore_index=True)
        steps.append({"step": "worked solutions added", "unit": "conversations", "rows": len(frame)})
    frame["category"] = frame["category"].map(PROBLEM_TYPE_TO_CATEGORY)
    return Pool(
        frame=frame,
        steps=steps,
        source={
            "name": "ladder.synthetic",
            "seed": params.seed,
            "style": params.style,
            "verbosity": verbosity,
            "max_steps": max_steps,
            "drills": n_drills,
            "worked": n_worked,
            "error_rate": error_rate,
        },
    )


def tokenizer_corpus(n_problems: int = 2000, seed: int = 0) -> list[str]:
    """Texts to train the tiny models' tokenizer on: training problems with every trajectory form, and drills."""
    texts = []
    for p in training_problems(n_problems, seed=seed):
        texts.append(p.text)
        texts.extend(trajectory(p, v, s) for v in VERBOSITIES for s in STYLES)
        texts.append(trajectory(p, "rechecks", "r1", error_rate=0.5))  # the words of a retry
        if p.n_steps == 1:
            texts.append(trajectory(p, BASE_VERBOSITY))
    texts.extend(drill_frame(200, seed=seed)["assistant"])
    texts.extend(WORKED_REQUESTS.values())
    return texts
