"""Strategies: which problem-solving strategies the models use, how alike they are to the reference's (the study's
R1), how diverse they are within a model, and whether any model finds an Exh question's intended strategy (the
study's finding 6).

Three measures, side by side (``analysis.MEASURES``):

* ``exact``: on the synthetic mini-ladder, the sequence of operations a trace performs, parsed from its text and
  compared with the true chain (``exact``): ground truth for the other two;
* ``proxy``: cosine similarity of the reasoning traces' sentence embeddings (the MiniLM model curation ships);
  labelled a proxy everywhere, since it also sees wording;
* ``judge``: an LLM behind any OpenAI-compatible server rates two solutions' strategy similarity 1-5 with a reason
  (``judge``: parsed strictly, an unparsable verdict recorded as such; cached per pair, judge model and prompt,
  so a killed run resumes).

Submodules: ``params`` (StrategiesParams), ``traces`` (reasoning traces, reference solutions), ``exact``,
``inputs`` (the panel's samples, tiers, roles and reference, checked), ``intended`` (each Exh question's intended
strategy), ``pairs`` (the pairs compared; exact and proxy measures), ``judge``, ``analysis`` (the tables),
``figures``, ``views`` (compact tables for the notebook), ``stage`` (files).

Usage::

    from ladder import strategies
    data = strategies.load_strategy_inputs(inputs, params)       # notebook 55_strategies
    analysis = strategies.analyse_strategies(data, params)
    strategies.save_strategy_tables(analysis, "out/")
"""

from ladder.strategies.analysis import MEASURES, StrategyAnalysis, analyse_strategies
from ladder.strategies.exact import chain_strategy, parse_strategy, strategy_similarity
from ladder.strategies.figures import plot_diversity_vs_coverage, plot_proxy_vs_exact, plot_similarity_by_tier
from ladder.strategies.inputs import StrategyInputs, load_strategy_inputs
from ladder.strategies.params import StrategiesError, StrategiesParams
from ladder.strategies.stage import save_strategy_figures, save_strategy_tables
from ladder.strategies.traces import question_texts, reasoning_trace
from ladder.strategies.views import exh_summary, side_by_side, strategy_examples

__all__ = [
    "MEASURES",
    "StrategiesError",
    "StrategiesParams",
    "StrategyAnalysis",
    "StrategyInputs",
    "analyse_strategies",
    "exh_summary",
    "chain_strategy",
    "load_strategy_inputs",
    "parse_strategy",
    "plot_diversity_vs_coverage",
    "plot_proxy_vs_exact",
    "plot_similarity_by_tier",
    "question_texts",
    "reasoning_trace",
    "save_strategy_figures",
    "save_strategy_tables",
    "side_by_side",
    "strategy_examples",
    "strategy_similarity",
]
