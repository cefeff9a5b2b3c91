"""Fills in the results of methods/examples.json: each example's params are called, with
the key of its role, on the anchored demo store (tests/anchored_store.py), and the answer
is written as its result. Run it after adding an example (`"result": null`), then read the
answers before keeping them: `.venv/bin/python tests/make_examples.py`."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from anchored_store import (CHANGES_SEED, build_store, changes_data, copy_store,  # noqa: E402
                            examples_path, fixed, store_config)

from gateway.web.app import create_app  # noqa: E402


async def answers(folder: Path, keys: dict[str, str], examples: list[dict[str, Any]]) -> None:
    server = TestServer(create_app(store_config(folder)), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:
            for n, example in enumerate(examples):
                body = {"jsonrpc": "2.0", "id": n, "method": example["method"],
                        "params": example["params"]}
                async with session.post(server.make_url("/rpc"), json=body,
                                        headers={"X-Api-Key": keys[example["role"]]}) as got:
                    answer = await got.json()
                if "result" not in answer:
                    print(f"{example['method']} {example['name']}: {answer}", file=sys.stderr)
                example["result"] = answer.get("result")
    finally:
        await server.close()


def main() -> None:
    path = examples_path()
    data = json.loads(path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        keys = build_store(store)
        pristine = Path(tmp) / "pristine"
        copy_store(store, pristine)
        reads = [dict(e, method=m) for m, es in data["methods"].items() if not changes_data(m)
                 for e in es]
        with fixed():
            asyncio.run(answers(store, keys, reads))
        for method, examples in data["methods"].items():
            if changes_data(method):
                copy = Path(tmp) / method
                copy_store(pristine, copy)
                runs = [dict(e, method=method) for e in examples]
                with fixed(CHANGES_SEED):
                    asyncio.run(answers(copy, keys, runs))
                reads += runs
    results = {(e["method"], e["name"]): e["result"] for e in reads}
    for method, examples in data["methods"].items():
        for example in examples:
            example["result"] = results[method, example["name"]]
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
