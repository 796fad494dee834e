"""GPU check of the sampling engine: the vllm and hf backends on the same prompts, with a tiny model built here.

No hub access is needed: the model is a randomly initialised Qwen2 (head_dim 64, which vLLM's kernels
support) with a locally trained tokenizer. Prints versions and device, then for each backend: wall time,
new tokens/s, finish reasons; then greedy agreement between the backends (same prompts, temperature 0),
and whether a repeated vllm run with the same seeds gives the same samples. Writes the numbers to
$OUT/gpu_check_sample.json when OUT is set, else runs/bench/gpu_check_sample.json.

    .venv/bin/python scripts/gpu_check_sample.py        # a few minutes, mostly vLLM start-up
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd  # noqa: E402

from ladder import paths  # noqa: E402
from ladder.sample import SampleParams, run_sampling  # noqa: E402
from ladder.tiny_model import build_tiny_model  # noqa: E402

QUESTIONS = pd.DataFrame(
    {
        "question_id": [str(i) for i in range(16)],
        "problem": [f"What is {7 * i + 3} + {11 * i + 5}? Reason step by step." for i in range(16)],
        "answer": [str(18 * i + 8) for i in range(16)],
    }
)


def run(name: str, params: SampleParams, model_dir: Path, out: Path, report: dict) -> pd.DataFrame | None:
    """One sampling run; prints and records its timing and finish reasons, or the error it raised."""
    start = time.perf_counter()
    try:
        frame = run_sampling(params, QUESTIONS, out, str(model_dir), "tiny", name, progress=False)
    except Exception as exc:  # report every section even when one fails
        report[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"[{name}] FAILED: {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return None
    seconds = time.perf_counter() - start
    tokens = int(frame["n_tokens"].sum())
    report[name] = {
        "seconds_including_load": round(seconds, 2),
        "rows": len(frame),
        "new_tokens": tokens,
        "new_tokens_per_s_including_load": round(tokens / seconds, 1),
        "finish_reasons": frame["finish_reason"].value_counts().to_dict(),
        "backend_version": frame["backend_version"].iloc[0],
    }
    print(f"[{name}] {report[name]}")
    return frame


def main() -> int:
    import torch

    report: dict = {"torch": torch.__version__, "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        report["gpu"] = torch.cuda.get_device_name(0)
    try:
        import vllm

        report["vllm"] = vllm.__version__
    except ImportError as exc:
        report["vllm"] = f"not importable: {exc}"
    print(json.dumps(report, indent=2))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model_dir = build_tiny_model(tmp / "model", hidden_size=256, num_heads=4, num_kv_heads=2, num_layers=2)
        common = dict(model=str(model_dir), benchmark="toy", max_new_tokens=128, dtype="float32")
        sampled = dict(common, n=8, temperature=1.0, seed=1)
        greedy = dict(common, n=1, temperature=0.0)
        vllm_options = dict(backend="vllm", batch_size=256, gpu_memory_utilization=0.5)
        hf_options = dict(backend="hf", device="cuda", batch_size=64)

        vllm_sampled = run("vllm_sampled", SampleParams(**sampled, **vllm_options), model_dir, tmp / "v1", report)
        vllm_again = run("vllm_sampled_again", SampleParams(**sampled, **vllm_options), model_dir, tmp / "v2", report)
        run("hf_sampled", SampleParams(**sampled, **hf_options), model_dir, tmp / "h1", report)
        vllm_greedy = run("vllm_greedy", SampleParams(**greedy, **vllm_options), model_dir, tmp / "v3", report)
        hf_greedy = run("hf_greedy", SampleParams(**greedy, **hf_options), model_dir, tmp / "h3", report)

        if vllm_sampled is not None and vllm_again is not None:
            same = (vllm_sampled["response"] == vllm_again["response"]).mean()
            report["vllm_same_seed_same_samples"] = float(same)
            print(f"vllm: repeated run with the same seeds gives the same sample in {same:.0%} of rows")
        if vllm_greedy is not None and hf_greedy is not None:
            agree = (vllm_greedy["response"] == hf_greedy["response"]).mean()
            prefix = [
                len(os.path.commonprefix([a, b])) / max(len(a), len(b), 1)
                for a, b in zip(vllm_greedy["response"], hf_greedy["response"], strict=True)
            ]
            report["greedy_exact_agreement_vllm_hf"] = float(agree)
            report["greedy_mean_common_prefix_share"] = float(sum(prefix) / len(prefix))
            print(
                f"greedy vllm vs hf: identical responses {agree:.0%}, mean common prefix {report['greedy_mean_common_prefix_share']:.0%}"
            )
    out_dir = Path(os.environ["OUT"]) if os.environ.get("OUT") else paths.RUNS_DIR / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "gpu_check_sample.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out_dir / 'gpu_check_sample.json'}")
    return 0 if all("error" not in v for v in report.values() if isinstance(v, dict)) else 1


if __name__ == "__main__":
    sys.exit(main())
