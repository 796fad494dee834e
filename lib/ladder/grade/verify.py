"""Math-Verify, the grader of answers that are not plain integers: a per-sample timeout, and why it said no.

Math-Verify (``math_verify``) is imported inside the functions: it pulls in sympy and a LaTeX parser (about 2 s),
which ``ladder --help`` and the AIME integer rule never need.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from ladder.answers import ExtractedAnswer

# Math-Verify logs every timeout and parse failure as a warning; they are recorded per sample as reasons instead.
logging.getLogger("math_verify").setLevel(logging.ERROR)


@functools.lru_cache(maxsize=4096)
def _parse_gold(gold: str, timeout_s: int):
    from math_verify import parse  # heavy optional dependency (sympy, a LaTeX parser), see the module docstring

    return parse(f"\\boxed{{{gold}}}", parsing_timeout=timeout_s)


def math_verify_equal(gold: str, answer: ExtractedAnswer, timeout_s: int = 5) -> tuple[bool, str]:
    """Compare with Math-Verify; returns (equal, status) with status ok | unparsable | timeout | error."""
    from math_verify import parse, verify  # heavy optional dependency, see the module docstring
    from math_verify.errors import TimeoutException

    if threading.current_thread() is not threading.main_thread():
        # Math-Verify's timeouts use SIGALRM, which only the main thread may set; without it a sample could hang.
        return False, "error"
    text = f"\\boxed{{{answer.text}}}" if answer.method in ("boxed", "fbox") else answer.text
    # Math-Verify turns its own timeouts into "no parse" / False and logs them; a call that ran for the whole
    # timeout is how we tell a timeout from a plain mismatch without making every other error fatal.
    started = time.monotonic()
    try:
        gold_parsed = _parse_gold(gold, timeout_s)
        predicted = parse(text, parsing_timeout=timeout_s)
        if not gold_parsed or not predicted:
            return False, "timeout" if time.monotonic() - started >= timeout_s else "unparsable"
        started = time.monotonic()
        equal = bool(verify(gold_parsed, predicted, timeout_seconds=timeout_s))
        if not equal and time.monotonic() - started >= timeout_s:
            return False, "timeout"
        if not equal and all(isinstance(item, str) for item in predicted):
            return False, "unparsable"  # only Math-Verify's raw-string fallback: it could not read the answer
        return equal, "ok"
    except TimeoutException:
        return False, "timeout"
    except Exception:  # pathological LaTeX: record it on the sample, never crash the whole frame
        return False, "error"
