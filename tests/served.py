"""A real `transformers serve` on 127.0.0.1 for the tests of OpenAI-compatible clients (the sampling backend, the
strategy judge), and a free port (a dead server to point a client at)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    """A port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def transformers_serve(log_dir: Path, model: Path | None = None) -> Iterator[str]:
    """`transformers serve` serving ``model`` (None: any local folder a request's ``model`` names); its base URL.

    Skips the test when the CLI or its serving extras are not installed; fails naming the log's tail when it does
    not come up within two minutes.
    """
    serve = Path(sys.executable).with_name("transformers")
    if not serve.exists():
        pytest.skip("transformers CLI not installed (pip install 'transformers[serving]')")
    pytest.importorskip("fastapi", reason="needs transformers[serving]")
    port = free_port()
    log = log_dir / "serve.log"
    command = [str(serve), "serve", *([str(model)] if model else []), "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "w") as handle:
        proc = subprocess.Popen(
            [*command, "--device", "cpu"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"transformers serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
