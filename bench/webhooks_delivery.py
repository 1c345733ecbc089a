"""Outgoing webhooks: 10,000 events to 3 endpoints, one of them down, and how long the two healthy ones take
to receive everything compared with the same run without the dead one (DESIGN.md, issue 17).

    DATABASE_URL=postgres://... .venv/bin/python -m bench.webhooks_delivery --events 10000

A fresh merchant (`bench-webhooks-…`) gets three endpoints: two real HTTP receivers on 127.0.0.1 and one
address that accepts connections and never answers, so every attempt to it waits the full timeout (15 s,
the production setting). Events are recorded through `record_event` (each queueing its deliveries in its
transaction, as a payment would), then delivered by the task function `deliver_due`, the way Celery runs it:

- "per endpoint": each endpoint's task on its own worker (three threads, like three worker processes);
- "one worker": a single worker running the endpoints' tasks in turn (batches of 200), the worst case.

Both runs are repeated without the dead endpoint; the healthy endpoints' drain time with the dead one over
the time without it is the figure to read (1.0: not delayed at all).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    import django

    django.setup()


def _serve(conn, counter) -> None:
    """A receiver process: answers 200 at once and counts what it got (its own process, its own GIL)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms wait for an ACK

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", "0")))
            with counter.get_lock():
                counter.value += 1
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    conn.send(server.server_address[1])
    server.serve_forever()


class _Healthy:
    """A healthy receiver in its own process, as a merchant's ERP would be."""

    def __init__(self):
        context = multiprocessing.get_context("fork")
        self.counter = context.Value("i", 0)
        parent, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.counter), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{parent.recv()}/hook"

    @property
    def count(self) -> int:
        return self.counter.value

    def stop(self):
        self.process.terminate()  # no clean-up in the child: it shares nothing it must close
        self.process.join()


class _Dead:
    """Accepts TCP connections (the kernel does) and never answers: every request waits for its timeout."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def stop(self):
        self.sock.close()


def _record_events(merchant, store, count: int, kind) -> float:
    from django.db import transaction

    from loyalty.events import record_event

    started = time.perf_counter()
    for start in range(0, count, 100):
        with transaction.atomic():  # a hundred changes per commit, each writing its event and deliveries
            for n in range(start, min(count, start + 100)):
                record_event(kind, store, data={"n": n, "amount": "12.50"})
    return time.perf_counter() - started


def _drain(endpoint_id: int, until: threading.Event | None = None) -> float:
    """Run the endpoint's task until it has nothing due (or, for the dead one, until `until` is set)."""
    from django.db import connection

    from webhooks import services

    started = time.perf_counter()
    try:
        while True:
            run = services.deliver_due(endpoint_id)
            if until is not None:
                if until.is_set():
                    break
                if not run.attempted:
                    time.sleep(0.2)
                continue
            if not run.more and not run.attempted:
                break
    finally:
        connection.close()
    return time.perf_counter() - started


def _scenario(*, events: int, with_dead: bool, mode: str, timeout: float, out) -> dict:
    from django.test import override_settings

    # The receivers are on 127.0.0.1: the operator setting that allows it, for this run only.
    with override_settings(WEBHOOK_ALLOWED_PRIVATE_NETWORKS=["127.0.0.1/32"], WEBHOOK_TIMEOUT_SECONDS=timeout):
        return _measure(events=events, with_dead=with_dead, mode=mode, out=out)


def _measure(*, events: int, with_dead: bool, mode: str, out) -> dict:
    from loyalty.events import EventKind, event_kinds
    from merchants.models import Merchant, Store
    from webhooks.models import Delivery, DeliveryAttempt
    from webhooks.services import create_endpoint

    kind = EventKind("bench.sold", "bench sale")
    healthy = [_Healthy(), _Healthy()]
    dead = _Dead()
    stamp = time.time_ns()
    merchant = Merchant.objects.create(name="Bench webhooks", slug=f"bench-webhooks-{stamp}")
    store = Store.objects.create(merchant=merchant, name="Bench store")
    try:
        with event_kinds.registered(kind):
            good = [create_endpoint(merchant, url=r.url, event_types=[kind.code])[0] for r in healthy]
            bad = create_endpoint(merchant, url=dead.url, event_types=[kind.code])[0] if with_dead else None
            record_seconds = _record_events(merchant, store, events, kind)
        times: dict[str, float] = {}
        dead_seconds = 0.0
        started = time.perf_counter()
        if mode == "per endpoint":
            # Each endpoint's task on its own worker, as Celery runs one task per endpoint in parallel.
            stop = threading.Event()
            finished: dict[int, float] = {}

            def work(endpoint_id, until=None):
                finished[endpoint_id] = _drain(endpoint_id, until)

            threads = [threading.Thread(target=work, args=(endpoint.pk,)) for endpoint in good]
            dead_thread = threading.Thread(target=work, args=(bad.pk, stop)) if bad else None
            for thread in threads + ([dead_thread] if dead_thread else []):
                thread.start()
            for thread in threads:
                thread.join()
            stop.set()
            if dead_thread:
                dead_thread.join()
                dead_seconds = finished[bad.pk]
            for n, endpoint in enumerate(good):
                times[f"healthy {n + 1}"] = finished[endpoint.pk]
        else:
            from webhooks import services

            pending = {endpoint.pk for endpoint in good}
            order = [endpoint.pk for endpoint in good] + ([bad.pk] if bad else [])
            while pending:
                for endpoint_id in order:
                    began = time.perf_counter()
                    run = services.deliver_due(endpoint_id)
                    if bad and endpoint_id == bad.pk:
                        dead_seconds += time.perf_counter() - began
                    elif not run.more and endpoint_id in pending and not Delivery.objects.filter(
                            endpoint_id=endpoint_id, status=Delivery.Status.PENDING).exists():
                        pending.discard(endpoint_id)
                        times[f"healthy {order.index(endpoint_id) + 1}"] = time.perf_counter() - started
        delivered = [Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.SUCCEEDED).count()
                     for endpoint in good]
        durations = sorted(DeliveryAttempt.objects.filter(delivery__endpoint__in=good)
                           .values_list("duration_ms", flat=True))
        p50 = durations[len(durations) // 2] if durations else 0
        p95 = durations[int(len(durations) * 0.95)] if durations else 0
        dead_attempts = DeliveryAttempt.objects.filter(delivery__endpoint=bad).count() if bad else 0
        slowest = max(times.values())
        label = f"{mode}, {'with' if with_dead else 'without'} the dead endpoint"
        print(f"{label}: {events} events recorded in {record_seconds:.1f} s; healthy endpoints received "
              f"{delivered} ({[r.count for r in healthy]} requests) in "
              f"{', '.join(f'{v:.1f} s' for v in times.values())} ({events / slowest:.0f} deliveries/s each); "
              f"attempt p50 {p50} ms, p95 {p95} ms"
              + (f"; the dead one: {dead_attempts} attempts, {dead_seconds:.1f} s of worker time" if bad else ""),
              file=out)
        return {"slowest": slowest, "delivered": delivered, "dead_attempts": dead_attempts,
                "dead_seconds": dead_seconds, "record_seconds": record_seconds}
    finally:
        for receiver in healthy:
            receiver.stop()
        dead.stop()


def run(*, events: int = 10000, timeout: float = 15.0, modes: tuple[str, ...] = ("per endpoint", "one worker"),
        out=sys.stdout) -> dict[str, float]:
    """Each mode with and without the dead endpoint; returns {mode: healthy drain time ratio}."""
    ratios = {}
    for mode in modes:
        with_dead = _scenario(events=events, with_dead=True, mode=mode, timeout=timeout, out=out)
        without = _scenario(events=events, with_dead=False, mode=mode, timeout=timeout, out=out)
        ratios[mode] = with_dead["slowest"] / without["slowest"]
        print(f"{mode}: healthy endpoints took {ratios[mode]:.2f}× as long with the dead endpoint "
              f"({with_dead['slowest']:.1f} s against {without['slowest']:.1f} s)", file=out)
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--mode", choices=["per endpoint", "one worker", "both"], default="both")
    args = parser.parse_args(argv)
    _setup_django()
    modes = ("per endpoint", "one worker") if args.mode == "both" else (args.mode,)
    run(events=args.events, timeout=args.timeout, modes=modes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
