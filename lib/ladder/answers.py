"""Answer extraction: the final answer of a response, normalised, and whether its think block ever closed.

Used by grading (``ladder.grade``) and by ingest (``ladder.ingest``, which checks a file's own gold answers
against the benchmark's). Rules, in order: the last complete ``\\boxed{}``/``\\fbox{}``, else the last
"Answer:" line or "the answer is" phrase, else the last bold number (``**73**``). Text after a closing
``</think>`` is searched first; an answer found only inside a think block is flagged ``in_think``.
:func:`normalize_answer` strips ``\\text{}``, ``$``, units, degree and percent signs, thousands separators,
``x =`` prefixes and leading zeros.

    >>> extract_answer("... so the answer is \\boxed{073}.").normalized
    '73'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def has_unclosed_think(text: str | None) -> bool:
    """The response opens a think block and never closes it: the model ran out of budget or the log was cut."""
    return isinstance(text, str) and THINK_OPEN in text and THINK_CLOSE not in text


def is_unfinished(response: str | None, finish_reason: str | None) -> bool:
    """Graded ``unfinished``: an unclosed think block in a sample not cut at the token limit (that is ``truncated``)."""
    return finish_reason != "length" and has_unclosed_think(response)


@dataclass(frozen=True)
class ExtractedAnswer:
    """A final answer found in a response: as written, normalised, how it was found, and where."""

    text: str  # as written (inside the box, after "Answer:", between ** **)
    normalized: str  # after normalize_answer
    method: str  # boxed | fbox | answer_line | answer_phrase | bold
    in_think: bool  # found only inside a <think> block


_BOX = re.compile(r"\\(boxed|fbox)\s*")
_BARE_TOKEN = re.compile(r"[^\s$]+")
_ANSWER_LINE = re.compile(
    r"^[ \t>#*_-]*(?:\*\*|__)?\s*(?:final\s+answer|answer)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ANSWER_PHRASE = re.compile(
    r"\bthe\s+(?:final\s+)?answer\s+is\s*[:：]?\s*(.+?)\s*(?:\.\s|\.?$|\n)", re.IGNORECASE | re.MULTILINE
)
_BOLD = re.compile(r"\*\*\s*([^*\n]{1,60}?)\s*\*\*")


def _closing_braces(text: str) -> dict[int, int]:
    """Position of each "{" -> position of the "}" closing it (unclosed ones absent), in one pass over the braces."""
    closing, stack = {}, []
    for match in re.finditer(r"[{}]", text):
        if match.group() == "{":
            stack.append(match.start())
        elif stack:
            closing[stack.pop()] = match.start()
    return closing


def _last_box(text: str) -> tuple[str, str] | None:
    # Hand-written: a regex cannot match balanced braces, and \boxed{\frac{a}{b}} is the common case. One pass over
    # the braces keeps runaway outputs full of unclosed boxes linear in their length.
    boxes = list(_BOX.finditer(text))
    if not boxes:
        return None
    closing = _closing_braces(text)
    for match in reversed(boxes):
        start = match.end()
        if start < len(text) and text[start] == "{":
            end = closing.get(start)
            if end is not None and text[start + 1 : end].strip():  # an empty \boxed{} is no answer: look further back
                return match.group(1), text[start + 1 : end]
        elif start < len(text):  # "\boxed 73" form
            token = _BARE_TOKEN.match(text, start)
            if token:
                return match.group(1), token.group(0)
    return None


def _looks_like_answer(normalized: str) -> bool:
    """A bold span counts only if it is a number or a short formula, not a heading like **Step 1:**."""
    stripped = re.sub(r"\\[a-zA-Z]+", "", normalized)
    return bool(re.search(r"\d", normalized)) and not re.search(r"[A-Za-z]{3,}|:$", stripped)


def _answer_lines(segment: str) -> Iterator[str]:
    """Lines that mention "answer", last first: the only places the line and phrase rules can match.

    Scanning whole 100k-character traces with the two regexes is what made extraction slow; most lines of a
    trace never mention the word.
    """
    lowered = segment.lower()
    end = len(segment)
    while (hit := lowered.rfind("answer", 0, end)) >= 0:
        start = segment.rfind("\n", 0, hit) + 1
        stop = segment.find("\n", hit)
        stop = len(segment) if stop < 0 else stop
        yield segment[start:stop]
        end = start - 1 if start > 0 else -1
        if end < 0:
            break


def _extract_in(segment: str) -> tuple[str, str] | None:
    if box := _last_box(segment):
        return box[1], box[0]
    lines = list(_answer_lines(segment))
    for line in lines:
        match = _ANSWER_LINE.match(line)
        if match and match.group(1).strip():
            return match.group(1), "answer_line"
    for line in lines:
        phrases = [m.group(1) for m in _ANSWER_PHRASE.finditer(line) if m.group(1).strip()]
        if phrases:
            return phrases[-1], "answer_phrase"
    if "**" in segment:
        for match in reversed(list(_BOLD.finditer(segment))):
            if _looks_like_answer(normalize_answer(match.group(1))):
                return match.group(1), "bold"
    return None


def _regions(text: str) -> list[tuple[str, bool]]:
    """(segment, inside_think) in search order: the final answer part first, the thinking last."""
    if THINK_CLOSE in text:
        cut = text.rfind(THINK_CLOSE)
        return [(text[cut + len(THINK_CLOSE) :], False), (text[:cut], True)]
    if THINK_OPEN in text:  # never closed (has_unclosed_think): usually a truncated or runaway trace
        cut = text.find(THINK_OPEN)
        return [(text[:cut], False), (text[cut:], True)]
    return [(text, False)]


def extract_answer(text: str | None) -> ExtractedAnswer | None:
    """The final answer of a response (see the module docstring for the rules), or None if there is none."""
    if not isinstance(text, str) or not text.strip():
        return None
    for segment, in_think in _regions(text):
        found = _extract_in(segment)
        if found is not None:
            raw, method = found
            normalized = normalize_answer(raw)
            if normalized:
                return ExtractedAnswer(text=raw.strip(), normalized=normalized, method=method, in_think=in_think)
    return None


_WRAPPERS = re.compile(
    r"\\(?:boxed|fbox|text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|operatorname)\s*\{([^{}]*)\}"
)
_SPACING = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~|\\left|\\right|\\displaystyle")
_DEGREES_PERCENT = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\%|%|\\\$|\\degree")
_UNITS = re.compile(r"^([+-]?\d[\d,]*(?:\.\d+)?)\s*([A-Za-z]{2,}\.?(?:\s+[A-Za-z]+\.?)*)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_ASSIGNMENT = re.compile(r"^\s*(?:[A-Za-z](?:_\{?\w+\}?)?|\\[A-Za-z]+)\s*=\s*(.+)$")
_INTEGER = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def normalize_answer(answer: str) -> str:
    """Normalise an answer string for comparison (wrappers, ``$``, units, separators, leading zeros)."""
    s = str(answer).strip()
    s = s.strip("*").strip().replace("\\$", "")  # markdown bold around the answer, escaped dollar signs
    for open_, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(open_) and s.endswith(close) and len(s) >= len(open_) + len(close):
            s = s[len(open_) : len(s) - len(close)].strip()
    s = s.replace("$", "")
    previous = None
    while previous != s:  # unwrap nested \boxed{\text{...}} from the inside out
        previous = s
        s = _WRAPPERS.sub(r"\1", s)
    s = _SPACING.sub("", s)
    s = _DEGREES_PERCENT.sub("", s)
    s = s.replace("{,}", ",").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    s = s.strip().rstrip(".;,").strip()
    if match := _ASSIGNMENT.match(s):
        s = match.group(1).strip()
    if match := _UNITS.match(s):
        s = match.group(1)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    s = re.sub(r"\s+", " ", s).strip()
    if _INTEGER.match(s):
        s = str(int(float(s))) if "." in s else str(int(s))
    return s


def parse_integer(normalized: str | None) -> int | None:
    """The integer a normalised answer states ("73", "073", "73.0"), or None if it is not a plain integer."""
    if normalized is None or not _INTEGER.match(normalized):
        return None
    return int(float(normalized)) if "." in normalized else int(normalized)
