"""Strategy judge: strict verdict parsing, middle truncation, the cache, and judge_pairs against a real `transformers serve`.

One server (no model preloaded) serves two local model folders by the request's ``model`` field: the untrained
tiny model (its replies are malformed verdicts) and a tiny model fine-tuned here, in a few seconds, to reply
exactly :data:`REPLY` to any judge prompt (a well-formed verdict through the real server).
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from ladder.strategies import judge
from ladder.strategies.judge import (
    JUDGE_PROMPT,
    PROMPT_VERSION,
    PairRequest,
    judge_pairs,
    parse_verdict,
    prompt_hash,
    truncate_middle,
)
from ladder.strategies.params import StrategiesError, StrategiesParams
from tests.served import free_port, transformers_serve

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

REPLY = '{"score": 4, "reason": "Both solutions follow the same steps."}'
WORDS = (
    "add the two numbers then divide by seven so remainder is find x solve for y square both sides let n be "
    "prime factor sum of digits count cases by symmetry substitute into equation therefore answer"
).split()


def _text(rng: random.Random, n_words: int) -> str:
    """Random math-flavoured text: words, numbers, some LaTeX and odd characters."""
    pieces = WORDS + [r"\frac{1}{2}", "$x^2$", "=", "(a+b)", "\\boxed{", "}", "é", "—"]
    return " ".join(rng.choice(pieces) if rng.random() < 0.8 else str(rng.randint(0, 9999)) for _ in range(n_words))


def _pairs(n: int, seed: int = 1, long_first: bool = False) -> list[PairRequest]:
    rng = random.Random(seed)
    return [
        PairRequest(
            question_id=str(60 + i),
            question=_text(rng, 12),
            first_key=f"r1/{i}",
            first=_text(rng, 900 if long_first and i == 0 else 40),
            second_key=f"sft/{i}",
            second=_text(rng, 40),
        )
        for i in range(n)
    ]


def _params(model: str | Path, base_url: str, **overrides) -> StrategiesParams:
    base = dict(
        judge=f"openai:{model}",
        judge_base_url=base_url,
        judge_concurrency=3,
        judge_max_tokens=32,
        judge_timeout_s=60,
        judge_max_retries=1,
        max_solution_chars=400,
    )
    return StrategiesParams(**{**base, **overrides})


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


# --- parsing, truncation, keys -------------------------------------------------------------------------


GOOD = {"score": 4, "reason": "Same substitution, then the same case split."}


@pytest.mark.parametrize(
    "reply, problem",
    [
        ('```json\n{"score": 7, "reason": "x"}\n```', "score 7 outside 1..5"),
        ('{"score": 0, "reason": "x"}', "score 0 outside 1..5"),
        ('{"score": "4", "reason": "x"}', 'score "4" is a string, not an integer'),
        ('{"score": 4.0, "reason": "x"}', "score 4.0 is a float, not an integer"),
        ('{"score": true, "reason": "x"}', "score true is a boolean, not an integer"),
        ('{"score": 4, "reason": "x", "confidence": 0.9}', "unexpected key confidence"),
        ('{"score": 4}', "missing key reason"),
        ('{"score": 4, "reason": "  "}', "empty reason"),
        ('{"score": 4, "reason": 4}', "reason is an integer, not a string"),
        ('{"score": 4, "score": 5, "reason": "x"}', "duplicate key score"),
        ("I'd say 4/5", "not a JSON object"),
        ("Score: 4. Both use induction.", "not a JSON object"),
        ('{"score": 4, "reason": "a"} {"score": 5, "reason": "b"}', "a second JSON value after the JSON object"),
        ('{"score": 4, "reason": "a"}\nSo the score is 4.', "text after the JSON object"),
        ('```json\n{"score": 4, "reason": "a"}\n```\n```json\n{"score": 5, "reason": "b"}\n```', "after the JSON"),
        ("[4, 5]", "not a JSON object (an array)"),
        ("4", "not a JSON object (an integer)"),
        ("", "empty reply"),
        ("  \n ", "empty reply"),
        ("```json\n```", "empty reply"),
    ],
)
def test_parse_verdict_rejects_anything_but_the_exact_object(reply, problem):
    verdict = parse_verdict(reply)
    assert verdict.status == "unparsable" and verdict.score is None and verdict.reason == ""
    assert problem in verdict.problem
    assert verdict.raw == reply  # kept as received


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps(GOOD),
        "  " + json.dumps(GOOD, indent=2) + "\n",
        "```json\n" + json.dumps(GOOD) + "\n```",
        "```\n" + json.dumps(GOOD) + "\n```",
        "```JSON " + json.dumps(GOOD) + "```",
    ],
)
def test_parse_verdict_reads_a_good_object_bare_or_fenced(reply):
    verdict = parse_verdict(reply)
    assert (verdict.score, verdict.reason, verdict.status, verdict.problem) == (4, GOOD["reason"], "ok", "")
    assert verdict.raw == reply


def test_truncate_middle_keeps_head_and_tail_within_the_bound():
    text = "HEAD" + "".join(chr(97 + i % 26) for i in range(5000)) + "TAIL"
    assert truncate_middle(text, len(text)) == text and truncate_middle("short", 200) == "short"
    for limit in (200, 1000, len(text) - 1):
        cut = truncate_middle(text, limit)
        assert len(cut) == limit and cut.startswith("HEAD") and cut.endswith("TAIL")
        head, number, tail = re.fullmatch(r"(.*)\n\[\.\.\. (\d+) characters cut \.\.\.\]\n(.*)", cut, re.S).groups()
        assert len(head) + int(number) + len(tail) == len(text)  # the marker names exactly what was cut
        assert text.startswith(head) and text.endswith(tail) and abs(len(head) - len(tail)) <= 1
    with pytest.raises(ValueError, match="no room"):
        truncate_middle(text, 10)


def test_prompt_and_pair_keys():
    assert PROMPT_VERSION and re.fullmatch(r"[0-9a-f]{12}", prompt_hash())
    for words in ("ONLY a JSON object", '"score"', '"reason"', "5 = the same strategy", "1 = entirely different"):
        assert words in JUDGE_PROMPT
    message = JUDGE_PROMPT.format(question="Q {x}", first="\\boxed{5}", second="B")  # braces in texts survive
    assert "\\boxed{5}" in message and '{"score": <integer 1-5>' in message
    pair = _pairs(1)[0]
    assert pair.key.startswith("60|r1/0|sft/0|") and pair.key == _pairs(1)[0].key
    changed = PairRequest(
        pair.question_id, pair.question, pair.first_key, pair.first + ".", pair.second_key, pair.second
    )
    assert changed.key != pair.key  # a changed sample never reuses an old verdict
    swapped = PairRequest(pair.question_id, pair.question, pair.first_key, pair.second, pair.second_key, pair.first)
    assert swapped.key != pair.key


# --- the cache and the server's address, no server needed ----------------------------------------------


def test_corrupt_middle_line_is_an_error_naming_file_and_line(tmp_path):
    cache = tmp_path / "judge.jsonl"
    record = {k: "" for k in judge._RECORD_KEYS}
    cache.write_text(json.dumps(record) + "\nnot json\n" + json.dumps(record) + "\n")
    with pytest.raises(StrategiesError, match=re.escape(f"{cache}:2")):
        judge_pairs(_pairs(1), _params("m", _dead_url()), cache)


def test_key_comes_from_the_named_env_var_and_a_missing_judge_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("LADDER_TEST_JUDGE_KEY", raising=False)
    params = _params("gpt-x", "https://api.example.invalid/v1", judge_api_key_env="LADDER_TEST_JUDGE_KEY")
    with pytest.raises(StrategiesError, match="LADDER_TEST_JUDGE_KEY is not set"):
        judge_pairs(_pairs(1), params, tmp_path / "judge.jsonl")
    with pytest.raises(StrategiesError, match="params.judge is empty"):
        judge_pairs(_pairs(1), StrategiesParams(), tmp_path / "judge.jsonl")
    assert judge_pairs([], params, tmp_path / "judge.jsonl").columns.tolist() == judge.COLUMNS


@pytest.mark.parametrize("n_pairs, where", [(3, "param"), (3, "env"), (40, "param")])
def test_dead_server_stops_the_run_naming_the_url(tmp_path, monkeypatch, n_pairs, where):
    url = _dead_url()
    if where == "env":
        monkeypatch.setenv("OPENAI_BASE_URL", url)
    params = _params("m", url if where == "param" else "", judge_max_retries=0, judge_timeout_s=3, judge_concurrency=2)
    cache = tmp_path / "sub" / "judge.jsonl"
    start = time.monotonic()
    expected = "all 3 requests failed" if n_pairs == 3 else r"the first \d+ requests failed"
    with pytest.raises(StrategiesError, match=rf"{re.escape(url)}: {expected}.*APIConnectionError"):
        judge_pairs(_pairs(n_pairs), params, cache)
    assert time.monotonic() - start < 20  # 40 pairs: stopped after the first few errors
    assert cache.read_text() == ""  # errors are never cached


# --- against a real transformers serve -----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`transformers serve` on 127.0.0.1 with no model preloaded: each request's ``model`` names a local folder."""
    with transformers_serve(tmp_path_factory.mktemp("serve")) as url:
        yield url


@pytest.fixture(scope="module")
def verdict_model_dir(tmp_path_factory):
    """A tiny model fine-tuned (60 steps, some 10 s on one CPU thread) to reply REPLY to any judge prompt."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ladder.tiny_model import build_tiny_model

    rng = random.Random(0)
    corpus = [JUDGE_PROMPT, REPLY * 20, "You are a helpful assistant."] + [_text(rng, 30) for _ in range(20)]
    out = build_tiny_model(
        tmp_path_factory.mktemp("verdict_model") / "model", corpus=corpus, max_position_embeddings=2048
    )
    tokenizer = AutoTokenizer.from_pretrained(out)  # as the server loads it (Qwen2Tokenizer)
    model = AutoModelForCausalLM.from_pretrained(out)
    answer = tokenizer(REPLY + "<|im_end|>", add_special_tokens=False).input_ids

    def prompt_ids(rng: random.Random) -> list[int]:
        message = JUDGE_PROMPT.format(question=_text(rng, 15), first=_text(rng, 30), second=_text(rng, 30))
        chat = [{"role": "user", "content": message}]
        text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False).input_ids

    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(60):
        prompts = [prompt_ids(rng) for _ in range(4)]
        width = max(len(p) for p in prompts) + len(answer)
        ids = torch.full((4, width), tokenizer.pad_token_id)
        labels = torch.full((4, width), -100)  # loss on the reply only
        mask = torch.zeros((4, width), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            ids[row, : len(prompt) + len(answer)] = torch.tensor(prompt + answer)
            labels[row, len(prompt) : len(prompt) + len(answer)] = torch.tensor(answer)
            mask[row, : len(prompt) + len(answer)] = 1
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    probe = prompt_ids(random.Random(99))
    with torch.inference_mode():
        new = model.generate(torch.tensor([probe]), do_sample=False, max_new_tokens=len(answer) + 4)[0, len(probe) :]
    assert tokenizer.decode(new, skip_special_tokens=True) == REPLY, "the fine-tuning did not converge"
    model.save_pretrained(out)
    return out


@pytest.fixture
def count_requests(monkeypatch):
    """The messages sent to the server, recorded by wrapping the function that sends one."""
    sent: list[str] = []
    ask = judge._ask

    def counting(client, params, message):
        sent.append(message)
        return ask(client, params, message)

    monkeypatch.setattr(judge, "_ask", counting)
    return sent


def test_malformed_verdicts_are_recorded_cached_and_not_asked_again(tiny_model_dir, server, tmp_path):
    params = _params(tiny_model_dir, server, judge_max_tokens=12)
    cache = tmp_path / "cache" / "judge.jsonl"
    pairs = _pairs(3)
    frame = judge_pairs(pairs, params, cache)
    assert frame.columns.tolist() == judge.COLUMNS and len(frame) == 3
    assert frame[["question_id", "first_key", "second_key"]].values.tolist() == [
        [p.question_id, p.first_key, p.second_key] for p in pairs
    ]
    assert frame["pair_key"].tolist() == [p.key for p in pairs]
    assert (frame["status"] == "unparsable").all() and frame["score"].isna().all()
    assert str(frame["score"].dtype) == "Int64" and (frame["problem"] != "").all()
    assert frame["judge_model"].eq(str(tiny_model_dir)).all() and frame["prompt_hash"].eq(prompt_hash()).all()
    assert len(cache.read_text().splitlines()) == 3  # the judge said it: cached
    # A second call asks nothing: against a dead server it returns every row from the cache.
    again = judge_pairs(pairs, params.model_copy(update={"judge_base_url": _dead_url()}), cache)
    pd.testing.assert_frame_equal(again, frame)


def test_well_formed_verdicts_through_the_server(verdict_model_dir, server, tmp_path):
    params = _params(verdict_model_dir, server, judge_concurrency=2, max_solution_chars=300)
    pairs = _pairs(4, seed=5, long_first=True)  # texts never seen in training; the first cut in the middle
    assert len(pairs[0].first) > 3000
    frame = judge_pairs(pairs, params, tmp_path / "judge.jsonl", progress=True)
    assert frame["status"].tolist() == ["ok"] * 4, frame[["status", "problem", "raw"]].to_string()
    assert frame["score"].tolist() == [4] * 4 and frame["raw"].eq(REPLY).all()
    assert frame["reason"].eq("Both solutions follow the same steps.").all() and frame["problem"].eq("").all()


def test_resume_asks_only_what_is_missing(verdict_model_dir, server, tmp_path, count_requests, monkeypatch):
    params = _params(verdict_model_dir, server)
    cache = tmp_path / "judge.jsonl"
    pairs = _pairs(6, seed=7)
    first = judge_pairs(pairs[:3], params, cache)
    assert first["status"].eq("ok").all() and len(count_requests) == 3
    # Killed mid-write: a torn last line. Also a verdict of another judge model and another prompt for pair 4:
    # kept in the file, never used.
    record = json.loads(cache.read_text().splitlines()[0])
    other = [{**record, "pair_key": pairs[3].key, "judge_model": "other", "score": 1}]
    other.append({**record, "pair_key": pairs[3].key, "prompt_hash": "0" * 12, "score": 1})
    with open(cache, "a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in other) + json.dumps(record)[:40])
    # A request that fails after the client's retries comes back as an error, is not cached and is asked again.
    ask = judge._ask  # the counting wrapper

    def failing_for_pair_5(client, params, message):
        if pairs[4].first in message:
            count_requests.append(message)
            return judge.Verdict(None, "", "error", "", "APITimeoutError: Request timed out.")
        return ask(client, params, message)

    monkeypatch.setattr(judge, "_ask", failing_for_pair_5)
    second = judge_pairs(pairs, params, cache)
    assert second["status"].tolist() == ["ok"] * 4 + ["error", "ok"]
    assert second["problem"].iloc[4].startswith("APITimeoutError") and pd.isna(second["score"].iloc[4])
    assert len(count_requests) == 3 + 3  # pairs 4, 5, 6; not 1-3 (cached), the torn line cut off
    pd.testing.assert_frame_equal(second.iloc[:3], first)
    lines = cache.read_text().splitlines()
    assert len(lines) == 3 + 2 + 2 and all(json.loads(line) for line in lines)  # pair 5 not written
    monkeypatch.setattr(judge, "_ask", ask)
    count_requests.clear()
    third = judge_pairs(pairs, params, cache)
    assert third["status"].eq("ok").all() and third["score"].eq(4).all()
    assert len(count_requests) == 1 and pairs[4].first in count_requests[0]  # only the failed one again
    assert len(cache.read_text().splitlines()) == 3 + 2 + 3
    # A smaller max_solution_chars that cuts a text differently is a different message: asked again.
    longer = [PairRequest("70", "Q", "a", "x" * 1000, "b", "y")]
    judge_pairs(longer, params, cache)
    judge_pairs(longer, params.model_copy(update={"max_solution_chars": 300}), cache)
    assert len(cache.read_text().splitlines()) == 3 + 2 + 3 + 2


def test_the_strategy_stage_with_a_judge_gives_the_per_tier_table(verdict_model_dir, server, tmp_path):
    from ladder import strategies
    from tests.strategy_panel import write_panel

    params = StrategiesParams(
        benchmark="synthetic",
        embedder="tfidf",
        models=["copycat", "drifter"],
        pairs_per_question=1,
        judge=f"openai:{verdict_model_dir}",
        judge_base_url=server,
        judge_tiers=["medium"],
        judge_concurrency=2,
        judge_max_tokens=32,
        max_solution_chars=400,
        cache_dir=str(tmp_path / "cache"),
    )
    data = strategies.load_strategy_inputs(write_panel(tmp_path / "panel"), params)
    analysis = strategies.analyse_strategies(data, params)
    assert analysis.measures == ["exact", "proxy", "judge"]
    judged = analysis.pairs[analysis.pairs["judge_status"] != ""]
    assert len(judged) == 2 * 3 * 2 and set(judged["tier"]) == {"medium"}  # 2 models x 3 Medium x (reference, within)
    assert judged["judge_status"].eq("ok").all() and judged["judge_score"].eq(4).all()
    table = analysis.by_tier[analysis.by_tier["measure"] == "judge"].set_index(["model", "tier"])
    assert set(table.index.get_level_values("tier")) == {"medium", "all"}
    assert (
        table.loc[("copycat", "medium"), "similarity"] == 4.0 and table.loc[("copycat", "medium"), "same_share"] == 1.0
    )
    assert table.loc[("drifter", "medium"), "diversity"] == pytest.approx(0.25)  # (5 - 4) / 4
    agreement = analysis.agreement.set_index(["truth", "measure", "tier"])
    assert ("exact", "judge", "medium") in agreement.index and ("judge", "proxy", "medium") in agreement.index
    # Resumable: every verdict is cached, so the same table comes back with the server gone.
    again = strategies.analyse_strategies(data, params.model_copy(update={"judge_base_url": _dead_url()}))
    pd.testing.assert_frame_equal(again.by_tier, analysis.by_tier)
