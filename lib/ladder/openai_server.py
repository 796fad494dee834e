"""OpenAI-compatible servers (``vllm serve``, ``transformers serve``, hosted APIs): where a client's API key comes from.

Shared by the ``openai`` sampling backend and the strategy judge. A key is read from the environment variable a
params field names, never from params files; a local server without one gets a placeholder (it accepts any key).
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def server_api_key(base_url: str, env_var: str, who: str, error: type[Exception] = ValueError) -> str:
    """The key in ``env_var``; "EMPTY" for a local server without one; else ``error`` naming ``who`` and the server."""
    key = os.environ.get(env_var, "")
    if key:
        return key
    if urlparse(base_url).hostname in LOCAL_HOSTS:
        return "EMPTY"  # local servers (vllm serve, transformers serve) accept any key
    raise error(
        f"{who} at {base_url}: environment variable {env_var} is not set; export it (the key never goes into params files)"
    )
