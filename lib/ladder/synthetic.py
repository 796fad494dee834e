"""The mini-ladder: a procedural benchmark and its training problems, for the laptop profile.

Word problems with integer answers, in four categories named like OpenR1-Math-220k's
``problem_type`` (so the real curation code handles them), each built from a chain of elementary
operations on small numbers (running values below 20, one-digit operands), numbered in the text
("(1) add 6, then (2) ..."); the number of operations is the difficulty knob. A k-step problem solved
step by step succeeds with about p^k, p the per-step accuracy, so the levels mirror the study's tiers:

- easy: 1 operation (answered directly, no reasoning needed); medium: 2 (a short chain that SFT'd
  reasoning finishes); hard: 6 (one step longer than the base ever practised: SFT has to teach the
  extra step, with room to climb as the data grows);
- exh: a chain that ends in an operation (writing the number backwards, 12..19 -> 21..91) that no
  training trajectory ever shows, so "unsolvable by SFT" has a known cause; its answers lie outside
  every answer seen in training, so guessing cannot score.

Training problems (1..``SFT_MAX_STEPS`` operations) never use that operation, and are disjoint from the
evaluation set by construction (separate random streams) and by a check. How a problem's solution is
written (verbosities, styles, the base's requests, benchmark ``synthetic_worked``) is
``ladder.synthetic_trajectories``; the SFT pool and the base's pretraining data are ``ladder.synthetic_corpus``.
Hard evaluation problems are also decomposed into one question per step (benchmark ``synthetic_steps``) for the
study's step-compounding analysis.

Usage::

    from ladder import synthetic
    evalset = synthetic.evaluation_set()           # DataFrame: question_id, problem, answer, level, ...
    rows = synthetic.training_problems(2000)       # list[Problem]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

CATEGORIES = ("Logic and Puzzles", "Algebra", "Number Theory", "Combinatorics")
LEVELS = ("easy", "medium", "hard", "exh")
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
        """The re-check an R1-like trace adds after a step: the inverse operation gives back the input."""
        expression, value = self.check_of(self.result)
        return f"{expression} = {value}"

    def check_of(self, written: int) -> tuple[str, int]:
        """The inverse computation of a step written with result ``written``, and what it gives.

        It gives back the step's input ``a`` exactly when ``written`` is right, so a trace that re-checks a slip
        sees the difference ("15 - 9 = 6, not 5"). For mod the check rebuilds the input from quotient and remainder.
        """
        if self.op == "add":
            return f"{written} - {self.b}", written - self.b
        if self.op == "sub":
            return f"{written} + {self.b}", written + self.b
        if self.op == "mul":
            return f"{written} / {self.b}", written // self.b
        if self.op == "div":
            return f"{written} * {self.b}", written * self.b
        if self.op == "mod":
            quotient = self.a // self.b
            return f"{quotient} * {self.b} + {written}", quotient * self.b + written
        return f"{written} backwards", int(str(written)[::-1])

    def slip(self, rng: random.Random) -> int:
        """A wrong result for this step, as a careless solver writes it: one off (for * a multiple of b off, for mod
        a remainder one off), chosen so that its re-check (:meth:`check_of`) is still a plain computation."""
        if self.op == "mul":
            candidates = [self.result - self.b, self.result + self.b]
        elif self.op == "mod":
            candidates = [r for r in (self.result - 1, self.result + 1) if 0 <= r < self.b]
        else:
            candidates = [self.result - 1, self.result + 1]
        # a fact's result is at least 2, so one below is still positive (and a + b - 1 - b >= 1 for add's check)
        return rng.choice([c for c in candidates if c >= 1])


@dataclass(frozen=True)
class Problem:
    """A word problem: its text, the chain of steps that solves it, and the answer."""

    problem_id: str
    category: str  # an OpenR1 problem_type
    level: str  # easy | medium | hard | exh (by construction)
    text: str
    steps: tuple[Step, ...]
    clauses: tuple[str, ...] = ()  # each step's operation as the text words it, with its number: "(2) add 9"

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


def fact(op: str, a: int, b: int) -> Step | None:
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
    return fact(op, a, b)


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


def _numbered(parts: list[str]) -> list[str]:
    """Each operation with its number, "(1) add 6": a tiny model finds the k-th operation of a run-on problem
    unreliably (measured: over half of its steps misread the operation), but "Step k" can look up "(k)"."""
    return [f"({i}) {part}" for i, part in enumerate(parts, start=1)]


def _word(category: str, rng: random.Random, start: int, steps: tuple[Step, ...]) -> tuple[str, tuple[str, ...]]:
    """The problem text, its operations numbered in order, and each operation's clause as the text has it."""
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    if category == "Logic and Puzzles":
        parts = [PUZZLE_PHRASES[s.op].format(name=name, b=s.b, item=item) for s in steps]
        clauses = _numbered([p[0].upper() + p[1:] for p in parts])
        text = f"{name} has {start} {item}. " + ". ".join(clauses) + f". How many {item} does {name} have now?"
    elif category == "Algebra":
        clauses = _numbered([ALGEBRA_PHRASES[s.op].format(b=s.b) for s in steps])
        text = f"Let x = {start}. Starting from x, " + ", then ".join(clauses) + ". What number do you get?"
    elif category == "Number Theory":
        clauses = _numbered([NUMBER_PHRASES[s.op].format(b=s.b) for s in steps])
        text = f"Take the integer {start}; " + ", then ".join(clauses) + ". What is the result?"
    else:
        clauses = _numbered([COUNT_PHRASES[s.op].format(b=s.b, item=item) for s in steps])
        text = f"A library counts {start} {item}. Then " + ", then ".join(clauses) + f". How many {item} are counted?"
    return text, tuple(clauses)


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
    for _ in range(20000):  # a 6-step Number Theory chain stays in range about once in 200 draws
        ops = [rng.choice(CATEGORY_OPS[category]) for _ in range(n_steps - int(novel))]
        if novel:
            ops.append(NOVEL_OP)
        start = rng.randint(2, VALUE_LIMIT - 1) if not novel or n_steps > 1 else rng.randint(12, VALUE_LIMIT - 1)
        steps = _chain(rng, start, ops)
        if steps is not None:
            text, clauses = _word(category, rng, start, steps)
            return Problem(problem_id, category, level, text, steps, clauses)
    raise RuntimeError(f"could not build a {n_steps}-step {category} problem")  # pragma: no cover


# --- the evaluation set -----------------------------------------------------------------------------

# level -> (n_steps choices, count per category): 4 categories x (12 + 12 + 12 + 6) = 168 questions. A tier's avg@8
# interval (ladder.metrics.mean_interval: Wilson with an effective size of at most 2Q) is at best +-0.10 wide at
# Q = 48 and a mean of 0.5, and about +-0.12 where a model's questions split into always- and never-solved, so
# easy, medium and hard, where SFT models sit anywhere from 0.5 to 1, get 48 questions (measured: with 24 easy
# questions, SFT models that slip or run past the last step scored 0.70-0.78 there, +-0.13-0.14); exh, where
# every model sits at 0 by construction, gets 24.
EVAL_LAYOUT = {"easy": ((1,), 12), "medium": ((2,), 12), "hard": ((6,), 12), "exh": ((2,), 6)}
# The base practised chains of up to BASE_MAX_STEPS operations (its worked solutions); the SFT pool has chains
# of up to SFT_MAX_STEPS, so the hard level's 6-step chains are one step longer than anything the base wrote:
# SFT has to teach that step, and how well it does grows with the data (measured: a model fine-tuned on
# chains of up to 5 steps solved 6-step problems 14% of the time, 5-step ones 78%).
BASE_MAX_STEPS = 5
SFT_MAX_STEPS = 6


def evaluation_problems(seed: int = EVAL_SEED) -> list[Problem]:
    """The fixed evaluation set (168 questions, ids "001".."168"), by level and category."""
    rng = random.Random(seed)
    out: list[Problem] = []
    for level, (step_choices, per_category) in EVAL_LAYOUT.items():
        for category in CATEGORIES:
            for i in range(per_category):
                n_steps = step_choices[i % len(step_choices)]
                qid = f"{len(out) + 1:03d}"
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
            }
            for p in evaluation_problems(seed)
        ]
    )


def step_questions(seed: int = EVAL_SEED, levels: tuple[str, ...] = ("hard",)) -> pd.DataFrame:
    """Each step of the hard evaluation problems as a question of its own (benchmark ``synthetic_steps``).

    Hard only, as the study decomposes Hard questions (finding 5): 48 questions x 6 steps.
    A step is worded as a one-step problem of its parent's category that starts from the step's input,
    the form in which every model met one-step problems in training, so per-step accuracy measures the
    step and not an unfamiliar wording.
    """
    rows = []
    for p in evaluation_problems(seed):
        if p.level not in levels:
            continue
        for i, step in enumerate(p.steps, start=1):
            text, _ = _word(p.category, random.Random(f"step-{seed}-{p.problem_id}.{i}"), step.a, (step,))
            rows.append(
                {
                    "question_id": f"{p.problem_id}.{i}",
                    "problem": text,
                    "answer": str(step.result),
                    "parent_id": p.problem_id,
                    "step": i,
                    "n_steps": p.n_steps,
                    "level": p.level,
                    "category": p.category,
                }
            )
    return pd.DataFrame(rows)


# --- training problems ------------------------------------------------------------------------------


def training_problems(n: int, seed: int = 0, max_steps: int = BASE_MAX_STEPS) -> list[Problem]:
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


def check_disjoint(train: list[Problem], evaluation: list[Problem] | None = None) -> None:
    """Raise if a training problem's text equals an evaluation question's, or uses the unseen operation."""
    evaluation = evaluation if evaluation is not None else evaluation_problems()
    overlap = {p.text for p in train} & {p.text for p in evaluation}
    if overlap:
        raise ValueError(f"{len(overlap)} training problem(s) equal evaluation questions, e.g. {sorted(overlap)[0]!r}")
    novel = [p.problem_id for p in train if any(s.op == NOVEL_OP for s in p.steps)]
    if novel:
        raise ValueError(f"training problems use the held-out operation '{NOVEL_OP}': {novel[:5]}")
