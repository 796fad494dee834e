"""The mini-ladder: a procedural benchmark and SFT trajectories for the laptop profile.

Word problems with integer answers, in four categories named like OpenR1-Math-220k's
``problem_type`` (so the real curation code handles them), each built from a chain of elementary
operations on small numbers (running values below 20, one-digit operands); the number of operations
is the difficulty knob. The evaluation set has four levels by construction, mirroring the study's tiers:

- easy: 1 operation; medium: 2; hard: 3-4;
- exh: a chain that ends in an operation (writing the number backwards, 12..19 -> 21..91) that no
  training trajectory ever shows, so "unsolvable by SFT" has a known cause; its answers lie outside
  every answer seen in training, so guessing cannot score.

Training problems never use that operation, and are disjoint from the evaluation set by
construction (separate random streams) and by a check. Each training problem has a trajectory
in one of three verbosities (answer only, the steps, the steps plus re-checks, as in R1 traces)
and two styles (an R1-like think block of numbered steps, or a terser Gemini-like line of equations),
in the chat container the curation stage produces. The "instruct" base (``models/tiny-instruct``,
built by the ``laptop_base`` profile) stands in for a pretrained instruct model: it learns arithmetic
drills (the facts pretraining teaches), worked solutions written only on request (``WORKED_PROMPT``)
and one-step problems answered in one line (``oneline``). Medium and hard evaluation problems are also
decomposed into one question per step (benchmark ``synthetic_steps``) for the study's
step-compounding analysis.

Usage::

    from ladder import synthetic
    evalset = synthetic.evaluation_set()           # DataFrame: question_id, problem, answer, level, ...
    rows = synthetic.training_problems(2000)       # list[Problem]
    text = synthetic.trajectory(rows[0], verbosity="steps", style="r1")
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

CATEGORIES = ("Logic and Puzzles", "Algebra", "Number Theory", "Combinatorics")
LEVELS = ("easy", "medium", "hard", "exh")
VERBOSITIES = ("answer", "steps", "rechecks")
BASE_VERBOSITY = "oneline"  # the instruct base's answer to a one-step problem: its equation, then the answer
STYLES = ("r1", "gemini")
EVAL_SEED = 2504_11741  # the evaluation set is fixed; training problems use other seeds
NOVEL_OP = "reverse"


@dataclass(frozen=True)
class Step:
    """One elementary operation: ``a <op> b = result``."""

    op: str  # add | sub | mul | div | mod | reverse
    a: int
    b: int
    result: int

    @property
    def operation(self) -> str:
        """The operation without its input: "+ 6", "mod 4", "backwards"."""
        symbols = {"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "mod"}
        return "backwards" if self.op == NOVEL_OP else f"{symbols[self.op]} {self.b}"

    @property
    def equation(self) -> str:
        return f"{self.a} {self.operation} = {self.result}"

    @property
    def check(self) -> str:
        """The re-check an R1-like trace adds after a step (inverse operation)."""
        if self.op == "add":
            return f"{self.result} - {self.b} = {self.a}"
        if self.op == "sub":
            return f"{self.result} + {self.b} = {self.a}"
        if self.op == "mul":
            return f"{self.result} / {self.b} = {self.a}"
        if self.op == "div":
            return f"{self.result} * {self.b} = {self.a}"
        if self.op == "mod":
            return f"{self.a} = {self.a // self.b} * {self.b} + {self.result}"
        return f"{self.result} backwards = {self.a}"


@dataclass(frozen=True)
class Problem:
    """A word problem: its text, the chain of steps that solves it, and the answer."""

    problem_id: str
    category: str  # an OpenR1 problem_type
    level: str  # easy | medium | hard | exh (by construction)
    text: str
    steps: tuple[Step, ...]

    @property
    def answer(self) -> int:
        return self.steps[-1].result

    @property
    def n_steps(self) -> int:
        return len(self.steps)


# --- operations -------------------------------------------------------------------------------------
# Every step pairs the running value (2..19) with a one-digit operand and gives 2..19, so each step is one of a few
# hundred table-like facts. Measured on 2 cores: a 0.8M-parameter model learns these facts to about 85%
# in 750 steps, while with values below 100 (2,800 facts, carries) it reached 17% in the same steps;
# difficulty comes from chaining steps, as in the study.

VALUE_LIMIT = 20


def _fact(op: str, a: int, b: int) -> Step | None:
    """``a op b`` as a step when it is a valid fact: from 2..19, a one-digit operand, a result in 2..19.

    No steps from 0 or 1 and no results below 2: they make degenerate chains (1 * 9 = 9, 9 / 9 = 1) and would
    make "1" the answer to guess.
    """
    results = {"add": a + b, "sub": a - b, "mul": a * b, "div": a // b, "mod": a % b}
    valid = {"add": True, "sub": b < a, "mul": b >= 2, "div": b >= 2 and a % b == 0, "mod": b >= 2 and a > b}
    result = results[op]
    return Step(op, a, b, result) if valid[op] and a >= 2 and 2 <= result < VALUE_LIMIT else None


def _apply(rng: random.Random, op: str, a: int) -> Step | None:
    if op == NOVEL_OP:  # 12..19 (not 11, a palindrome): the result, 21..91, is no answer seen in training
        return Step(op, a, 0, int(str(a)[::-1])) if 12 <= a < VALUE_LIMIT else None
    if op not in ("add", "sub", "mul", "div", "mod"):
        raise ValueError(f"unknown operation '{op}'")
    if a < 2:
        return None
    if op == "add":
        b = rng.randint(1, 9)
    elif op == "sub":
        b = rng.randint(1, min(a - 1, 9))
    elif op == "div":
        divisors = [d for d in range(2, 10) if a % d == 0]
        if not divisors:
            return None
        b = rng.choice(divisors)
    else:  # mul, mod
        b = rng.randint(2, 9)
    return _fact(op, a, b)


def _chain(rng: random.Random, start: int, ops: list[str]) -> tuple[Step, ...] | None:
    steps, value = [], start
    for op in ops:
        step = _apply(rng, op, value)
        if step is None:
            return None
        steps.append(step)
        value = step.result
    return tuple(steps)


# --- wording per category ---------------------------------------------------------------------------

NAMES = ("Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "June", "Kai", "Lena")
ITEMS = ("coins", "stamps", "marbles", "apples", "cards", "shells", "books", "beads")

PUZZLE_PHRASES = {
    "add": "{name} then gets {b} more",
    "sub": "{name} then gives away {b}",
    "mul": "{name} then multiplies the pile by {b}",
    "div": "{name} then splits the pile into {b} equal parts and keeps one part",
    "mod": "{name} then packs them in boxes of {b} and keeps only the ones left over",
    NOVEL_OP: "{name} then writes the number of {item} backwards and takes that many",
}
ALGEBRA_PHRASES = {
    "add": "add {b}",
    "sub": "subtract {b}",
    "mul": "multiply by {b}",
    "div": "divide by {b}",
    "mod": "take the remainder modulo {b}",
    NOVEL_OP: "write the number backwards",
}
NUMBER_PHRASES = {
    "add": "add {b} to it",
    "sub": "subtract {b} from it",
    "mul": "multiply it by {b}",
    "div": "divide it by {b}",
    "mod": "find its remainder when divided by {b}",
    NOVEL_OP: "write its digits in reverse order",
}
COUNT_PHRASES = {
    "add": "{b} more are added",
    "sub": "{b} are removed",
    "mul": "each one is copied to make groups of {b}",
    "div": "they are shared equally among {b} shelves and one shelf is counted",
    "mod": "they are stacked in rows of {b} and only the incomplete row is counted",
    NOVEL_OP: "the count is read backwards",
}


def _word(category: str, rng: random.Random, start: int, steps: tuple[Step, ...]) -> str:
    """The problem text."""
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    if category == "Logic and Puzzles":
        parts = [PUZZLE_PHRASES[s.op].format(name=name, b=s.b, item=item) for s in steps]
        text = f"{name} has {start} {item}. " + ". ".join(p[0].upper() + p[1:] for p in parts) + \
            f". How many {item} does {name} have now?"  # fmt: skip
    elif category == "Algebra":
        parts = [ALGEBRA_PHRASES[s.op].format(b=s.b) for s in steps]
        text = f"Let x = {start}. Starting from x, " + ", then ".join(parts) + ". What number do you get?"
    elif category == "Number Theory":
        parts = [NUMBER_PHRASES[s.op].format(b=s.b) for s in steps]
        text = f"Take the integer {start}; " + ", then ".join(parts) + ". What is the result?"
    else:
        parts = [COUNT_PHRASES[s.op].format(b=s.b, item=item) for s in steps]
        text = f"A library counts {start} {item}. Then " + ", then ".join(parts) + f". How many {item} are counted?"
    return text


# Operation mix per category (each category leans on different operations, like real problem types).
CATEGORY_OPS = {
    "Logic and Puzzles": ("add", "sub", "add", "sub", "mul"),
    "Algebra": ("add", "sub", "mul", "div"),
    "Number Theory": ("mul", "mod", "add", "mod", "div"),
    "Combinatorics": ("mul", "add", "div", "sub"),
}


def make_problem(
    rng: random.Random, category: str, n_steps: int, problem_id: str, level: str, novel: bool = False
) -> Problem:
    """One problem of ``category`` with ``n_steps`` operations; ``novel`` ends it with the unseen operation."""
    if category not in CATEGORY_OPS:
        raise ValueError(f"unknown synthetic category '{category}'. Categories: {', '.join(CATEGORIES)}")
    for _ in range(1000):
        ops = [rng.choice(CATEGORY_OPS[category]) for _ in range(n_steps - int(novel))]
        if novel:
            ops.append(NOVEL_OP)
        start = rng.randint(2, VALUE_LIMIT - 1) if not novel or n_steps > 1 else rng.randint(12, VALUE_LIMIT - 1)
        steps = _chain(rng, start, ops)
        if steps is not None:
            return Problem(problem_id, category, level, _word(category, rng, start, steps), steps)
    raise RuntimeError(f"could not build a {n_steps}-step {category} problem")  # pragma: no cover


# --- the evaluation set -----------------------------------------------------------------------------

# level -> (n_steps choices, count per category): 4 categories x (2 + 3 + 3 + 2) = 40 questions
EVAL_LAYOUT = {"easy": ((1,), 2), "medium": ((2,), 3), "hard": ((3, 4), 3), "exh": ((2,), 2)}


def evaluation_problems(seed: int = EVAL_SEED) -> list[Problem]:
    """The fixed evaluation set (40 questions, AIME-sized), by level and category."""
    rng = random.Random(seed)
    out: list[Problem] = []
    for level, (step_choices, per_category) in EVAL_LAYOUT.items():
        for category in CATEGORIES:
            for i in range(per_category):
                n_steps = step_choices[i % len(step_choices)]
                qid = f"{len(out) + 1:02d}"
                out.append(make_problem(rng, category, n_steps, qid, level, novel=level == "exh"))
    return out


def evaluation_set(seed: int = EVAL_SEED) -> pd.DataFrame:
    """The evaluation set as a benchmark frame: question_id, problem, answer, level, category, n_steps."""
    return pd.DataFrame(
        [
            {
                "question_id": p.problem_id,
                "problem": p.text,
                "answer": str(p.answer),
                "level": p.level,
                "category": p.category,
                "n_steps": p.n_steps,
            }  # fmt: skip
            for p in evaluation_problems(seed)
        ]
    )


def step_questions(seed: int = EVAL_SEED, levels: tuple[str, ...] = ("medium", "hard")) -> pd.DataFrame:
    """Each step of the multi-step evaluation problems as a question of its own (benchmark ``synthetic_steps``).

    A step is worded as a one-step problem of its parent's category that starts from the step's input,
    the form in which every model met one-step problems in training, so per-step accuracy measures the
    step and not an unfamiliar wording.
    """
    rows = []
    for p in evaluation_problems(seed):
        if p.level not in levels:
            continue
        for i, step in enumerate(p.steps, start=1):
            text = _word(p.category, random.Random(f"step-{seed}-{p.problem_id}.{i}"), step.a, (step,))
            rows.append({"question_id": f"{p.problem_id}.{i}", "problem": text, "answer": str(step.result),
                         "parent_id": p.problem_id, "step": i, "n_steps": p.n_steps, "level": p.level,
                         "category": p.category})  # fmt: skip
    return pd.DataFrame(rows)


# --- training problems and trajectories -------------------------------------------------------------


def training_problems(n: int, seed: int = 0, max_steps: int = 4) -> list[Problem]:
    """``n`` training problems, categories in turn, 1..max_steps operations, never the unseen operation.

    Disjoint from the evaluation set: a problem whose text equals an evaluation question is redrawn.
    """
    rng = random.Random(f"train-{seed}")
    held_out = {p.text for p in evaluation_problems()}
    out: list[Problem] = []
    while len(out) < n:
        i = len(out)
        category = CATEGORIES[i % len(CATEGORIES)]
        n_steps = rng.randint(1, max_steps)
        problem = make_problem(rng, category, n_steps, f"t{seed}-{i:06d}", level=f"{n_steps}-step")
        if problem.text not in held_out:
            out.append(problem)
    return out


def thinking(problem: Problem, verbosity: str, style: str) -> str:
    """The thinking trace of ``problem``: nothing, the steps, or the steps with re-checks; R1 or Gemini style."""
    if verbosity not in (*VERBOSITIES, BASE_VERBOSITY) or style not in STYLES:
        raise ValueError(f"verbosity must be one of {VERBOSITIES} or '{BASE_VERBOSITY}', and style one of {STYLES}")
    if verbosity == BASE_VERBOSITY and problem.n_steps != 1:
        raise ValueError(f"verbosity '{BASE_VERBOSITY}' answers one-step problems only; {problem.problem_id} has "
                         f"{problem.n_steps} steps")  # fmt: skip
    if verbosity == "answer":
        return ""
    if verbosity == BASE_VERBOSITY:
        return ""
    if style == "gemini":
        return "; ".join(s.equation for s in problem.steps)
    lines = []
    # The steps state equations only: when each step first restated the problem's words ("Step 2: add 8: ..."),
    # the tiny model learnt the format but copied the wrong clause and garbled the equations.
    for i, step in enumerate(problem.steps, start=1):
        lines.append(f"Step {i}: {step.equation}.")
        if verbosity == "rechecks":
            lines.append(f"Wait, let me check: {step.check}. Yes.")
    if verbosity == "rechecks":
        lines.append(f"So the answer is {problem.answer}.")
    return "\n".join(lines)


def final_answer(problem: Problem, style: str, verbosity: str = "steps") -> str:
    """The answer line after the think block (the one-line base answer states the step's equation first)."""
    if verbosity == BASE_VERBOSITY:
        return f"{problem.steps[0].equation}, so the answer is \\boxed{{{problem.answer}}}."
    return (
        f"The answer is \\boxed{{{problem.answer}}}." if style == "r1" else f"**Answer:** \\boxed{{{problem.answer}}}"
    )


def trajectory(problem: Problem, verbosity: str = "steps", style: str = "r1") -> str:
    """The assistant turn, in the chat container of ``ladder.curate`` (think block, then the answer)."""
    from ladder.curate.sources import format_assistant

    return format_assistant(thinking(problem, verbosity, style), final_answer(problem, style, verbosity))


# --- the curation source ----------------------------------------------------------------------------

# Trajectory verbosity drawn per problem, like the varying lengths of real R1 traces; curation's
# length selection (short / normal / long by token count) then picks among them as it does for OpenR1.
VERBOSITY_WEIGHTS = {"answer": 0.2, "steps": 0.5, "rechecks": 0.3}


def pool_frame(
    n_problems: int, style: str = "r1", seed: int = 0, verbosity: str = "mixed", max_steps: int = 4
) -> pd.DataFrame:
    """Training problems with one trajectory each, in ``ladder.curate``'s pool columns."""
    rng = random.Random(f"verbosity-{seed}")
    rows = []
    for p in training_problems(n_problems, seed=seed, max_steps=max_steps):
        chosen = verbosity
        if verbosity == "mixed":
            chosen = rng.choices(list(VERBOSITY_WEIGHTS), weights=list(VERBOSITY_WEIGHTS.values()))[0]
        rows.append({
            "problem_id": p.problem_id, "problem": p.text, "answer": str(p.answer), "category": p.category,
            "origin": f"synthetic/{p.level}/{chosen}", "generation_idx": 0, "assistant": trajectory(p, chosen, style),
        })  # fmt: skip
    return pd.DataFrame(rows)


def arithmetic_facts() -> list[Step]:
    """Every one-step fact a training problem can use (``a op b = c`` below ``VALUE_LIMIT``, never the held-out op)."""
    candidates = (_fact(op, a, b) for a in range(2, VALUE_LIMIT) for b in range(1, 10)
                  for op in ("add", "sub", "mul", "div", "mod"))  # fmt: skip
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
        rows.append({
            "problem_id": f"d{seed}-{i:06d}", "problem": f"Arithmetic drill {i + 1}.", "answer": "", "category": "Other",
            "origin": "synthetic/drill", "generation_idx": 0, "assistant": lines,
        })  # fmt: skip
    return pd.DataFrame(rows)


WORKED_PROMPT = "Work it out step by step."


def worked_frame(n_problems: int, seed: int = 0) -> pd.DataFrame:
    """Worked solutions asked for by an instruction, in the pool columns: the base's latent step-by-step skill.

    A pretrained model has seen worked solutions ("4 + 5 = 9", "9 mod 5 = 4", "So the answer is 4.") and
    writes one when asked, yet an instruct model answers a plain question directly. The instruction
    prefix keeps the two apart: the base still answers plain problems in one line. The solutions are
    plain lines, not the think-block trajectories that SFT teaches.
    """
    rows = []
    for p in training_problems(n_problems, seed=seed + 1000, max_steps=4):
        lines = [step.equation for step in p.steps] + [f"So the answer is {p.answer}."]
        rows.append({
            "problem_id": p.problem_id, "problem": f"{WORKED_PROMPT} {p.text}", "answer": str(p.answer),
            "category": "Other", "origin": "synthetic/worked", "generation_idx": 0, "assistant": "\n".join(lines),
        })  # fmt: skip
    return pd.DataFrame(rows)


def curation_pool(params: Any):
    """``ladder.curate`` source ``synthetic``: ``synthetic_pool_size`` training problems plus ``synthetic_drills``."""
    from ladder.curate.params import PROBLEM_TYPE_TO_CATEGORY
    from ladder.curate.sources import Pool

    size = getattr(params, "synthetic_pool_size", 4000)
    verbosity = getattr(params, "synthetic_verbosity", "mixed")
    max_steps = 1 if verbosity == BASE_VERBOSITY else 4
    n_drills = getattr(params, "synthetic_drills", 0)
    n_worked = getattr(params, "synthetic_worked", 0)
    frame = pool_frame(size, style=params.style, seed=params.seed, verbosity=verbosity, max_steps=max_steps)
    clash = set(frame["problem"]) & {p.text for p in evaluation_problems()}
    if clash:  # disjoint by construction; this is the check
        raise ValueError(f"{len(clash)} synthetic training problem(s) equal evaluation questions: {sorted(clash)[:3]}")
    steps = [{"step": "generated", "unit": "problems", "rows": len(frame)}]
    if n_drills:
        frame = pd.concat([frame, drill_frame(n_drills, seed=params.seed)], ignore_index=True)
        steps.append({"step": "arithmetic drills added", "unit": "conversations", "rows": len(frame)})
    if n_worked:
        frame = pd.concat([frame, worked_frame(n_worked, seed=params.seed)], ignore_index=True)
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
        },  # fmt: skip
    )


def check_disjoint(train: list[Problem], evaluation: list[Problem] | None = None) -> None:
    """Raise if a training problem's text equals an evaluation question's, or uses the unseen operation."""
    evaluation = evaluation if evaluation is not None else evaluation_problems()
    overlap = {p.text for p in train} & {p.text for p in evaluation}
    if overlap:
        raise ValueError(f"{len(overlap)} training problem(s) equal evaluation questions, e.g. {sorted(overlap)[0]!r}")
    novel = [p.problem_id for p in train if any(s.op == NOVEL_OP for s in p.steps)]
    if novel:
        raise ValueError(f"training problems use the held-out operation '{NOVEL_OP}': {novel[:5]}")


BENCHMARK_LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    "synthetic": evaluation_set,
    "synthetic_steps": step_questions,
}


def tokenizer_corpus(n_problems: int = 2000, seed: int = 0) -> list[str]:
    """Texts to train the tiny models' tokenizer on: training problems with every trajectory form, and drills."""
    texts = []
    for p in training_problems(n_problems, seed=seed):
        texts.append(p.text)
        texts.extend(trajectory(p, v, s) for v in VERBOSITIES for s in STYLES)
        if p.n_steps == 1:
            texts.append(trajectory(p, BASE_VERBOSITY))
    texts.extend(drill_frame(200, seed=seed)["assistant"])
    return texts
