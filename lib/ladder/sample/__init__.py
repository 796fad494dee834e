"""Sampling engine: one request/record schema, backends ``hf``, ``vllm`` and ``openai``, resumable per (question, sample).

Usage (notebook 30_sample)::

    from ladder.sample import SampleParams, sample_stage
    samples = sample_stage(params, input_dir, output_dir, experiment)

Modules: ``params`` (SampleParams), ``requests`` (prompts, seeds, run identity), ``progress``
(request.json + samples.jsonl, resume), one module per backend, ``stage`` (the stage and the
``ladder sample`` command), ``report`` (tables and figures of the notebook).
"""

from ladder.sample.params import PROMPT_TEMPLATES, SampleParams
from ladder.sample.report import engine_table, examples_table, settings_table, token_length_figure, truncation_table
from ladder.sample.requests import SampleError, SampleRequest, build_requests, derive_seed
from ladder.sample.stage import add_cli, read_engine, read_questions, resolve_model, run_sampling, sample_stage

__all__ = [
    "PROMPT_TEMPLATES",
    "SampleError",
    "SampleParams",
    "SampleRequest",
    "add_cli",
    "build_requests",
    "derive_seed",
    "engine_table",
    "examples_table",
    "read_engine",
    "read_questions",
    "resolve_model",
    "run_sampling",
    "sample_stage",
    "settings_table",
    "token_length_figure",
    "truncation_table",
]
