"""devcrew's launcher for llama.cpp's HTTP server (the xllamacpp package has no command line).

Reads one JSON argument with the model file, alias, host, port, context, slots and threads; serves
/v1/chat/completions, /v1/models, /health and /metrics until it is sent SIGTERM or SIGINT.
"""
import json
import os
import signal
import sys
import threading

import xllamacpp


def main() -> None:
    cfg = json.loads(sys.argv[1])
    params = xllamacpp.CommonParams()
    params.model.path = cfg["model"]
    params.model_alias = {cfg["alias"]}
    params.hostnames = [cfg["host"]]
    params.port = int(cfg["port"])
    params.n_parallel = int(cfg["slots"])
    # llama.cpp splits the context over its slots: each slot gets `context` tokens.
    params.n_ctx = int(cfg["context"]) * int(cfg["slots"])
    params.cpuparams.n_threads = int(cfg["threads"])
    params.cpuparams_batch.n_threads = int(cfg["threads"])
    params.cont_batching = True
    params.cache_prompt = True
    params.endpoint_metrics = True
    params.use_jinja = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = xllamacpp.Server(params)  # noqa: F841 (serves while it lives)
    print(f"devcrew model server: {cfg['alias']} on http://{cfg['host']}:{cfg['port']}", flush=True)
    stop.wait()
    # At once, even mid-answer: the server holds nothing worth saving, and a request in flight is
    # retried by its step (llama.cpp's own shutdown would wait for the answer to finish).
    print("devcrew model server: stopping", flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
