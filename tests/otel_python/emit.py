#!/usr/bin/env python3
"""Emits GenAI chat spans through the real OpenTelemetry Python SDK, for tests/otlp_python.rs.

The spans go through a TracerProvider and a BatchSpanProcessor to the SDK's own OTLP
exporter for the chosen protocol (http/protobuf, grpc). OTLP/HTTP with JSON bodies has no
official Python exporter, so for http/json the SDK's protobuf request encoder builds the
ExportTraceServiceRequest, which is turned into OTLP/JSON (ids as lowercase hex, enums as
integers, as the OTLP specification's JSON encoding requires) and POSTed with urllib.

Span attributes are deterministic for a seed. On stdout: one JSON object with what was
exported successfully, totals and per model, so the test can compare llmmon's report with
it. Exit status 1 if any export failed (e.g. a wrong bearer token), 2 on bad arguments.
"""

import argparse
import base64
import gzip
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind, Status, StatusCode

# (model, provider) pairs; the model prefix makes each run's names distinct.
MODELS = [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("claude-sonnet-4", "anthropic"),
    ("gemini-2.5-flash", "gcp.gemini"),
]
ERROR_SHARE = 0.10
ID_KEYS = ("traceId", "spanId", "parentSpanId")
RETRYABLE_HTTP = (429, 502, 503, 504)


class JsonSpanExporter(SpanExporter):
    """OTLP/HTTP with a JSON body, built from the SDK's own protobuf encoder."""

    def __init__(self, endpoint, headers, compress, timeout_s):
        self._url = endpoint.rstrip("/") + "/v1/traces"
        self._headers = dict(headers)
        self._headers["Content-Type"] = "application/json"
        if compress:
            self._headers["Content-Encoding"] = "gzip"
        self._compress = compress
        self._timeout_s = timeout_s

    def export(self, spans):
        body = json.dumps(to_otlp_json(encode_spans(spans))).encode()
        if self._compress:
            body = gzip.compress(body)
        # Retries as the SDK's own OTLP/HTTP exporter does: 429/502/503/504 and connection
        # errors, honouring Retry-After, until the timeout is spent.
        deadline = time.monotonic() + self._timeout_s
        backoff = 0.5
        while True:
            wait = None
            req = urllib.request.Request(
                self._url, data=body, headers=self._headers, method="POST"
            )
            try:
                remaining = max(0.1, deadline - time.monotonic())
                with urllib.request.urlopen(req, timeout=remaining) as resp:
                    resp.read()
                    return SpanExportResult.SUCCESS
            except urllib.error.HTTPError as e:
                print(f"emit: http/json export got HTTP {e.code}", file=sys.stderr)
                if e.code not in RETRYABLE_HTTP:
                    return SpanExportResult.FAILURE
                wait = retry_after(e.headers.get("Retry-After"))
            except OSError as e:
                print(f"emit: http/json export failed: {e}", file=sys.stderr)
            wait = backoff if wait is None else wait
            backoff = min(backoff * 2, 8.0)
            if time.monotonic() + wait > deadline:
                return SpanExportResult.FAILURE
            time.sleep(wait)

    def shutdown(self):
        pass


def retry_after(value):
    """Seconds from a Retry-After header in its delay-seconds form; None otherwise."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def to_otlp_json(request):
    """ExportTraceServiceRequest protobuf -> OTLP/JSON object."""
    d = MessageToDict(request, use_integers_for_enums=True)
    fix_ids(d)
    return d


def fix_ids(v):
    """protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants trace and span ids in hex."""
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ID_KEYS and isinstance(x, str):
                v[k] = base64.b64decode(x).hex()
            else:
                fix_ids(x)
    elif isinstance(v, list):
        for x in v:
            fix_ids(x)


class CountingExporter(SpanExporter):
    """Wraps the real exporter and counts what it accepted, batch by batch.

    BatchSpanProcessor only logs a failed export, and force_flush reports timing, not
    success; this wrapper is how emit.py knows exactly which spans reached the receiver.
    """

    def __init__(self, inner):
        self._inner = inner
        self._lock = threading.Lock()
        self.exported = []
        self.failed_batches = 0
        self.failed_spans = 0
        self.batches = 0

    def export(self, spans):
        result = self._inner.export(spans)
        with self._lock:
            self.batches += 1
            if result == SpanExportResult.SUCCESS:
                self.exported.extend(spans)
            else:
                self.failed_batches += 1
                self.failed_spans += len(spans)
        return result

    def shutdown(self):
        self._inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self._inner.force_flush(timeout_millis)


def make_exporter(args, headers):
    if args.protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        return OTLPSpanExporter(
            endpoint=args.endpoint.rstrip("/") + "/v1/traces",
            headers=headers,
            timeout=args.timeout,
            compression=Compression.Gzip if args.gzip else Compression.NoCompression,
        )
    if args.protocol == "grpc":
        from grpc import Compression
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter,
        )

        return OTLPSpanExporter(
            endpoint=args.endpoint,
            insecure=True,
            headers={k.lower(): v for k, v in headers.items()},
            timeout=args.timeout,
            compression=Compression.Gzip if args.gzip else Compression.NoCompression,
        )
    return JsonSpanExporter(args.endpoint, headers, args.gzip, args.timeout)


def emit_spans(tracer, args):
    rng = random.Random(args.seed)
    now = time.time_ns()
    for i in range(args.spans):
        model, provider = MODELS[rng.randrange(len(MODELS))]
        model = args.model_prefix + model
        input_tokens = rng.randint(20, 4000)
        output_tokens = rng.randint(1, 800)
        latency_ns = rng.randint(150, 9000) * 1_000_000
        failed = rng.random() < ERROR_SHARE
        start = now - (args.spans - i) * 1_000_000 - latency_ns
        span = tracer.start_span(
            f"chat {model}",
            kind=SpanKind.CLIENT,
            start_time=start,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": model,
                "gen_ai.response.model": model,
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                "gen_ai.response.finish_reasons": ["stop"],
                "user.id": f"user-{rng.randrange(25)}",
            },
        )
        if failed:
            span.set_status(Status(StatusCode.ERROR, "upstream returned 500"))
        span.end(end_time=start + latency_ns)


def summarize(spans):
    """What the receiver got: the same figures `llmmon report --json` prints."""
    out = {"calls": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0, "by_model": {}}
    for s in spans:
        a = s.attributes
        err = 1 if s.status.status_code == StatusCode.ERROR else 0
        g = out["by_model"].setdefault(
            a["gen_ai.request.model"],
            {"calls": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0},
        )
        for o in (out, g):
            o["calls"] += 1
            o["errors"] += err
            o["input_tokens"] += a["gen_ai.usage.input_tokens"]
            o["output_tokens"] += a["gen_ai.usage.output_tokens"]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True,
                   help="http://HOST:PORT (the signal path /v1/traces is appended for HTTP)")
    p.add_argument("--protocol", required=True, choices=["http/protobuf", "grpc", "http/json"])
    p.add_argument("--spans", type=int, default=100)
    p.add_argument("--model-prefix", default="")
    p.add_argument("--token", help="sent as Authorization: Bearer TOKEN")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--gzip", action="store_true", help="compress request bodies")
    p.add_argument("--service-name", default="otel-python-emit")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds per export request, retries included")
    args = p.parse_args()
    if args.spans < 0:
        p.error("--spans must be >= 0")

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    exporter = CountingExporter(make_exporter(args, headers))
    provider = TracerProvider(resource=Resource.create({"service.name": args.service_name}))
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter,
            max_queue_size=max(2048, args.spans),
            max_export_batch_size=512,
            schedule_delay_millis=200,
        )
    )
    tracer = provider.get_tracer("llmmon.tests.emit")

    t0 = time.monotonic()
    emit_spans(tracer, args)
    flushed = provider.force_flush(timeout_millis=int(args.timeout * 1000) * 3)
    provider.shutdown()
    elapsed = time.monotonic() - t0

    report = summarize(exporter.exported)
    report.update(
        protocol=args.protocol,
        generated=args.spans,
        batches=exporter.batches,
        failed_batches=exporter.failed_batches,
        failed_spans=exporter.failed_spans,
        seconds=round(elapsed, 3),
    )
    print(json.dumps(report, sort_keys=True))
    lost = args.spans - report["calls"] - exporter.failed_spans
    if not flushed or exporter.failed_batches or lost:
        print(
            f"emit: export incomplete: flushed={flushed} failed_batches="
            f"{exporter.failed_batches} unaccounted_spans={lost}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
