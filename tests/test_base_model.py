"""The committed "instruct" base of the laptop profile (models/tiny-instruct)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from ladder import base_model, synthetic
from ladder.params import load_plan


def test_committed_base_answers_an_easy_question_in_one_line():
    tokenizer = AutoTokenizer.from_pretrained(base_model.BASE_DIR)
    model = AutoModelForCausalLM.from_pretrained(base_model.BASE_DIR).eval()
    easy = synthetic.evaluation_set().query("level == 'easy'")
    prompts = [
        tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True)
        for p in easy["problem"]
    ]
    tokenizer.padding_side = "left"
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=40, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    correct = [f"\\boxed{{{answer}}}" in text for text, answer in zip(texts, easy["answer"], strict=True)]
    assert all(", so the answer is" in text for text in texts)  # the one-line "instruct" format
    assert sum(correct) >= len(correct) // 2, texts


@pytest.mark.slow
def test_committed_base_was_trained_on_what_the_generator_makes_now():
    """Fails after a change to the synthetic generator until `make base-model` rebuilds the base."""
    assert base_model.check() == base_model.provenance()["data_content_hash"]


def test_laptop_profile_starts_from_the_committed_base_and_laptop_base_builds_it():
    record = base_model.provenance()
    laptop, builder = load_plan("laptop"), load_plan(base_model.PROFILE)
    built = {r.stage: r.params.model_dump() for r in builder.requests if r.experiment == base_model.EXPERIMENT}
    assert built["curate"] == record["curate_params"]
    assert built["train"] == record["train_params"]
    for request in laptop.requests:
        if request.stage == "train":
            assert request.params.model == "models/tiny-instruct"
