"""The optional LLM judge (grader ``judge``, off by default): asked about samples the rules could not read.

A judge is a callable ``judge(problem, gold, response, extracted) -> True/False``, or None when it cannot decide;
the grade param ``judge`` names one (``openai:MODEL``), as the study did with gpt-4o-mini.
"""

from __future__ import annotations

from collections.abc import Callable

from ladder.answers import ExtractedAnswer

Judge = Callable[[str, str, str, "ExtractedAnswer | None"], "bool | None"]
"""judge(problem, gold, response, extracted) -> True/False, or None when it cannot decide."""


def openai_judge(model: str = "gpt-4o-mini", base_url: str | None = None) -> Judge:
    """An LLM judge through any OpenAI-compatible server: asks whether the response's final answer equals the gold.

    The model's reply is only compared with the words YES/NO; it is never executed.
    """
    from openai import OpenAI  # heavy import (about 2 s), only needed when a judge is on

    client = OpenAI(base_url=base_url) if base_url else OpenAI()

    def judge(problem: str, gold: str, response: str, extracted: ExtractedAnswer | None) -> bool | None:
        prompt = (
            "Decide whether the final answer of the RESPONSE equals the REFERENCE answer of the PROBLEM. "
            "Reply with exactly YES or NO.\n\n"
            f"PROBLEM:\n{problem}\n\nREFERENCE: {gold}\n\nRESPONSE (end):\n{response[-4000:]}"
        )
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=3
        )
        word = (reply.choices[0].message.content or "").strip().upper()
        return True if word.startswith("YES") else False if word.startswith("NO") else None

    return judge


def make_judge(spec: str) -> Judge | None:
    """Judge from a params string: "" = off, "openai:MODEL" = :func:`openai_judge` (OPENAI_BASE_URL honoured)."""
    if not spec:
        return None
    kind, _, model = spec.partition(":")
    if kind != "openai" or not model:
        raise ValueError(f"judge '{spec}': expected '' (off) or 'openai:MODEL', e.g. openai:gpt-4o-mini")
    return openai_judge(model)
