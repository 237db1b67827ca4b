#!/usr/bin/env python3
"""Records the spans real OpenAI instrumentations emit, as fixtures for
tests/decode_instrumentations.rs.

One run = one instrumentation with message-content capture off or on. The script starts a
fake OpenAI-compatible server on 127.0.0.1 (a thread, python http.server), instruments the
real `openai` client with the chosen library, makes the same fixed set of calls (plain,
streaming with usage, a tool call and its follow-up, a reasoning model with cached tokens,
429 and 500 errors, an embedding), and writes what the SDK exported as OTLP/JSON lines: one
Export{Trace,Logs}ServiceRequest per exported batch, as the OpenTelemetry Collector's file
exporter writes it (encoded with `opentelemetry.exporter.otlp.proto.common`, ids as lower
case hex, enums as integers).

Beside the fixture it writes `<out>.expected.json`: what the fake server answered, call by
call (model, streamed, HTTP status, prompt/completion/cached/reasoning tokens, tool call),
so tests assert exact values instead of numbers read back from the spans.

Each instrumentation needs its own virtualenv (their OpenTelemetry pins differ);
`record_instrumentations.sh` builds them and re-records every fixture:

    tests/otel_python/record_instrumentations.sh            # all of them
    python record_instrumentations.py --instrumentation openlit --content off \
        --out tests/fixtures/instrumentations/openlit-content-off.jsonl

Instrumentations: openllmetry (opentelemetry-instrumentation-openai), openlit,
openai-v2 (opentelemetry-instrumentation-openai-v2), genai (the current GenAI conventions:
opentelemetry-instrumentation-genai-openai), openinference
(openinference-instrumentation-openai).
"""

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---- the fake server ---------------------------------------------------------------------

# What each request model makes the server do. Tokens are fixed per model so the expected
# totals do not depend on what the instrumentation sends.
BEHAVIOUR = {
    "gpt-4.1-mini": dict(prompt=31, completion=12, cached=0, reasoning=0),
    "gpt-4o": dict(prompt=45, completion=18, cached=0, reasoning=0),
    "o4-mini": dict(prompt=120, completion=300, cached=64, reasoning=256),
    "gpt-4.1-mini-tool": dict(prompt=52, completion=17, cached=0, reasoning=0, tool=True),
    "gpt-4o-fail429": dict(status=429),
    "gpt-4o-fail500": dict(status=500),
}
EMBED_TOKENS_PER_INPUT = 5
SERVED = []
SERVED_LOCK = threading.Lock()
FIRST_CHUNK_DELAY_S = 0.12
CHUNK_DELAY_S = 0.03


def served(entry):
    with SERVED_LOCK:
        SERVED.append(entry)


class FakeOpenAI(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        if self.path.endswith("/embeddings"):
            return self._embeddings(req)
        if self.path.endswith("/chat/completions"):
            return self._chat(req)
        self._json(404, {"error": {"message": "no such route", "type": "invalid_request_error"}})

    def _embeddings(self, req):
        inputs = req.get("input")
        inputs = inputs if isinstance(inputs, list) else [inputs]
        tokens = EMBED_TOKENS_PER_INPUT * len(inputs)
        served(dict(kind="embeddings", model=req["model"], status=200, stream=False,
                    prompt=tokens, completion=0, cached=0, reasoning=0, tool=None))
        self._json(200, {
            "object": "list",
            "model": req["model"],
            "data": [{"object": "embedding", "index": i, "embedding": [0.1, -0.2, 0.3]}
                     for i in range(len(inputs))],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })

    def _chat(self, req):
        model = req["model"]
        b = BEHAVIOUR[model]
        stream = bool(req.get("stream"))
        if "status" in b:
            served(dict(kind="chat", model=model, status=b["status"], stream=stream,
                        prompt=0, completion=0, cached=0, reasoning=0, tool=None))
            kind = "rate_limit_exceeded" if b["status"] == 429 else "server_error"
            return self._json(b["status"], {"error": {
                "message": f"fake {b['status']}", "type": kind, "code": kind}})
        # The follow-up of a tool call (a `tool` message is present) gets a plain answer.
        answered_tool = any(m.get("role") == "tool" for m in req.get("messages", []))
        tool = b.get("tool") and not answered_tool
        usage = {
            "prompt_tokens": b["prompt"],
            "completion_tokens": b["completion"],
            "total_tokens": b["prompt"] + b["completion"],
            "prompt_tokens_details": {"cached_tokens": b["cached"], "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": b["reasoning"], "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }
        tier = req.get("service_tier") or "default"
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
        served(dict(kind="chat", model=model, status=200, stream=stream,
                    prompt=b["prompt"] if include_usage or not stream else 0,
                    completion=b["completion"] if include_usage or not stream else 0,
                    cached=b["cached"] if include_usage or not stream else 0,
                    reasoning=b["reasoning"] if include_usage or not stream else 0,
                    tool="search_flights" if tool else None, service_tier=tier))
        text = "Flights from Oslo to Rome leave at 9:05 and 17:40."
        call = {"id": "call_abc123", "type": "function", "function": {
            "name": "search_flights", "arguments": json.dumps({"from": "OSL", "to": "FCO"})}}
        base = {"id": "chatcmpl-fake1", "created": int(time.time()), "model": model + "-2026-01-01",
                "system_fingerprint": "fp_fake", "service_tier": tier}
        if not stream:
            msg = {"role": "assistant", "content": None if tool else text}
            if tool:
                msg["tool_calls"] = [call]
            return self._json(200, dict(base, object="chat.completion", usage=usage, choices=[{
                "index": 0, "message": msg,
                "finish_reason": "tool_calls" if tool else "stop", "logprobs": None}]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def send(obj):
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        chunk = dict(base, object="chat.completion.chunk")
        time.sleep(FIRST_CHUNK_DELAY_S)
        if tool:
            send(dict(chunk, choices=[{"index": 0, "delta": {"role": "assistant", "content": None,
                  "tool_calls": [dict(call, index=0)]}, "finish_reason": None}]))
        else:
            words = text.split(" ")
            for i, w in enumerate(words):
                delta = {"content": w if i == 0 else " " + w}
                if i == 0:
                    delta["role"] = "assistant"
                send(dict(chunk, choices=[{"index": 0, "delta": delta, "finish_reason": None}]))
                time.sleep(CHUNK_DELAY_S)
        send(dict(chunk, choices=[{"index": 0, "delta": {},
                                   "finish_reason": "tool_calls" if tool else "stop"}]))
        if include_usage:
            send(dict(chunk, choices=[], usage=usage))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


# ---- OTLP/JSON file exporters ------------------------------------------------------------

ID_KEYS = ("traceId", "spanId", "parentSpanId")


def fix_ids(obj):
    """MessageToDict writes bytes ids as base64; OTLP/JSON wants lowercase hex."""
    import base64
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ID_KEYS and isinstance(v, str):
                obj[k] = base64.b64decode(v).hex()
            else:
                fix_ids(v)
    elif isinstance(obj, list):
        for v in obj:
            fix_ids(v)


class Sink:
    """One output file shared by the span and log exporters, a line per export call."""

    def __init__(self, path):
        self._f = open(path, "w", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, request):
        from google.protobuf.json_format import MessageToDict
        d = MessageToDict(request, use_integers_for_enums=True)
        fix_ids(d)
        # Stack traces name the virtualenv; make the path neutral so a re-run diffs clean.
        line = json.dumps(d, separators=(",", ":")).replace(sys.prefix, "/opt/venv")
        with self._lock:
            self._f.write(line + "\n")
            self._f.flush()

    def close(self):
        self._f.close()


def providers(sink, service):
    """A TracerProvider and a LoggerProvider that export to the sink."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class SpanFile(SpanExporter):
        def export(self, spans):
            sink.write(encode_spans(spans))
            return SpanExportResult.SUCCESS

        def shutdown(self):
            pass

    resource = Resource.create({"service.name": service, "deployment.environment.name": "test"})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(SpanFile(), schedule_delay_millis=60_000))
    trace.set_tracer_provider(tp)
    lp = None
    try:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogExporter, LogExportResult

        class LogFile(LogExporter):
            def export(self, batch):
                sink.write(encode_logs(batch))
                return LogExportResult.SUCCESS

            def force_flush(self, timeout_millis=30_000):
                return True

            def shutdown(self):
                pass

        lp = LoggerProvider(resource=resource)
        lp.add_log_record_processor(BatchLogRecordProcessor(LogFile(), schedule_delay_millis=60_000))
        set_logger_provider(lp)
    except ImportError as e:  # an SDK without the logs API: spans only
        print(f"record: no log export ({e})", file=sys.stderr)
    return tp, lp


# ---- instrumentations --------------------------------------------------------------------

def instrument(name, content, tp, lp):
    on = content == "on"
    if name == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true" if on else "false"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
        OpenAIInstrumentor().instrument(tracer_provider=tp)
    elif name == "openai-v2":
        # opentelemetry-util-genai 1.x reads the content mode from these two.
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = (
            "SPAN_ONLY" if on else "NO_CONTENT")
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
        kw = {"tracer_provider": tp}
        if lp is not None:
            kw["logger_provider"] = lp
        OpenAIInstrumentor().instrument(**kw)
    elif name == "genai":
        os.environ["OTEL_SEMCONV_STABILITY_OPT_IN"] = "gen_ai_latest_experimental"
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = (
            "SPAN_ONLY" if on else "NO_CONTENT")
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
        kw = {"tracer_provider": tp}
        if lp is not None:
            kw["logger_provider"] = lp
        OpenAIInstrumentor().instrument(**kw)
    elif name == "openinference":
        from openinference.instrumentation import TraceConfig
        from openinference.instrumentation.openai import OpenAIInstrumentor
        cfg = TraceConfig(hide_inputs=not on, hide_outputs=not on)
        OpenAIInstrumentor().instrument(tracer_provider=tp, config=cfg)
    elif name == "openlit":
        # openlit reuses the global TracerProvider set above. Its prices come from a local
        # file (it would fetch them from GitHub), so `gen_ai.usage.cost` is known exactly.
        import tempfile
        import openlit
        prices = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(OPENLIT_PRICING, prices)
        prices.close()
        openlit.init(capture_message_content=on, disable_metrics=True, disable_events=True,
                     pricing_json=prices.name, application_name=os.environ["OTEL_SERVICE_NAME"],
                     environment="test")
    else:
        raise SystemExit(f"unknown instrumentation {name}")


# Per-1k-token prices given to openlit, in its pricing file format.
OPENLIT_PRICING = {
    "chat": {
        "gpt-4.1-mini": {"promptPrice": 0.0004, "completionPrice": 0.0016},
        "gpt-4.1-mini-tool": {"promptPrice": 0.0004, "completionPrice": 0.0016},
        "gpt-4o": {"promptPrice": 0.0025, "completionPrice": 0.01},
        "o4-mini": {"promptPrice": 0.0011, "completionPrice": 0.0044},
    },
    "embeddings": {"text-embedding-3-small": 0.00002},
}


# ---- the workload ------------------------------------------------------------------------

TOOLS = [{"type": "function", "function": {
    "name": "search_flights",
    "description": "Find flights between two airports",
    "parameters": {"type": "object", "properties": {
        "from": {"type": "string"}, "to": {"type": "string"}}, "required": ["from", "to"]}}}]
SYSTEM = {"role": "system", "content": "You are a travel assistant."}


def user(text):
    return [SYSTEM, {"role": "user", "content": text}]


def workload(client):
    import openai

    def drain(stream):
        for _ in stream:
            pass

    # Plain calls with request parameters.
    client.chat.completions.create(model="gpt-4.1-mini", messages=user("Flights to Rome?"),
                                   temperature=0.2, max_tokens=100, top_p=0.9, seed=7,
                                   user="u-alice")
    client.chat.completions.create(model="o4-mini", messages=user("Plan a 3-day trip."),
                                   temperature=0.9, max_tokens=800, user="u-bob",
                                   service_tier="flex")
    # Streaming calls with usage.
    drain(client.chat.completions.create(model="gpt-4o", messages=user("Stream a reply."),
                                         stream=True, stream_options={"include_usage": True},
                                         temperature=0.8, user="u-alice"))
    drain(client.chat.completions.create(model="o4-mini", messages=user("Stream and think."),
                                         stream=True, stream_options={"include_usage": True},
                                         user="u-bob"))
    # A tool call and its follow-up.
    msgs = user("Find me a flight from Oslo to Rome.")
    r = client.chat.completions.create(model="gpt-4.1-mini-tool", messages=msgs, tools=TOOLS,
                                       temperature=0.0, user="u-carol")
    tc = r.choices[0].message.tool_calls[0]
    msgs = msgs + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": tc.id, "type": "function",
             "function": {"name": tc.function.name, "arguments": tc.function.arguments}}]},
        {"role": "tool", "tool_call_id": tc.id, "content": json.dumps({"flights": ["SK4711"]})},
    ]
    client.chat.completions.create(model="gpt-4.1-mini-tool", messages=msgs, tools=TOOLS,
                                   user="u-carol")
    # Errors.
    for model in ("gpt-4o-fail429", "gpt-4o-fail500"):
        try:
            client.chat.completions.create(model=model, messages=user("This fails."))
        except openai.APIStatusError:
            pass
    # An embedding of two inputs.
    client.embeddings.create(model="text-embedding-3-small", input=["Oslo", "Rome"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instrumentation", required=True,
                    choices=["openllmetry", "openlit", "openai-v2", "genai", "openinference"])
    ap.add_argument("--content", choices=["off", "on"], required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service = f"rec-{args.instrumentation}-content-{args.content}"
    os.environ["OTEL_SERVICE_NAME"] = service

    sink = Sink(args.out)
    tp, lp = providers(sink, service)
    instrument(args.instrumentation, args.content, tp, lp)

    import openai
    client = openai.OpenAI(api_key="sk-fake", max_retries=0,
                           base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    workload(client)

    tp.force_flush()
    if lp is not None:
        lp.force_flush()
    tp.shutdown()
    sink.close()
    server.shutdown()
    with open(args.out + ".expected.json", "w", encoding="utf-8") as f:
        expected = {"instrumentation": args.instrumentation, "content": args.content,
                    "calls": SERVED}
        if args.instrumentation == "openlit":
            expected["openlit_pricing_per_1k"] = OPENLIT_PRICING
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
