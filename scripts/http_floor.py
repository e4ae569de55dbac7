"""The HTTP floor of the push benchmark: an ASGI app that reads a request and answers at once.

`scripts/bench_sync.py` pushes the same bodies, with the same client, to this app under uvicorn as
it does to Tally. What a push costs there is the client, uvicorn and the loopback, which no server
of ours can go below. The answer is a valid push answer ("applied" for seqs 1..n, n from the
`x-ops` header), the size of Tally's, so the client decodes and checks it as it does Tally's.
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

from sync.protocol import OpResult, PushResponse


@lru_cache(maxsize=16)
def _answer(n: int) -> bytes:
    return msgspec.json.encode(PushResponse([OpResult(seq, "applied") for seq in range(1, n + 1)], n))


async def app(scope: dict, receive, send) -> None:  # noqa: ANN001
    if scope["type"] != "http":  # lifespan: nothing to start or stop
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:  # the whole body, as a server must read it
        more = (await receive()).get("more_body", False)
    headers = dict(scope["headers"])
    body = _answer(int(headers.get(b"x-ops", b"0")))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
