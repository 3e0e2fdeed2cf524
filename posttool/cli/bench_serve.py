"""`posttool bench --serve`: the warm mode measured beside command mode, in the same run.

A real `posttool serve` process is started on a free loopback port in the bench's temporary home;
a client on one keep-alive connection posts the bundled events (rewritten into the temporary
project, each with a fresh tool_use_id) and times each round trip. Reported:
- p50/p99 per Read and per Bash event from a warm client;
- events/s with 8 concurrent sessions (one client thread and connection each);
- a `.py` write with new content each run (ruff and radon really run), as a ratio to the bare
  interpreter's start measured in the same run.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from posttool.cli.bench import (
    FLOOR_ARGS,
    Event,
    ServeBench,
    materialise,
    percentile,
    run_command,
    time_process,
    with_new_content,
)
from posttool.lib.paths import settle_home

CONCURRENT_SESSIONS = 8
READY_TIMEOUT_S = 30


class ServeProcess:
    def __init__(self, home: str, workers: int = 1) -> None:
        # Created with posttool's marker first: a folder holding only the launcher below would
        # be taken for someone else's, and the server would work in its `posttool/` subfolder.
        home = settle_home(home)
        self.home = home
        self.process = subprocess.Popen(
            [
                *(*run_command(home), "serve", "--home", home, "--port", "0", "--quiet"),
                *("--workers", str(workers)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        path = os.path.join(home, "server.json")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not os.path.exists(path):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("posttool serve did not start")
            time.sleep(0.02)
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
        self.port = int(info["url"].rstrip("/").rsplit(":", 1)[1])
        self.headers = {
            "Authorization": f"Bearer {info['token']}",
            "Content-Type": "application/json",
        }

    def client(self) -> Client:
        return Client(self.port, self.headers)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Client:
    """One keep-alive connection."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.connect()
        # http.client sends headers and body in two writes; like Node's clients (Claude
        # Code's), do not let Nagle's algorithm hold the body for the server's delayed ACK.
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.headers = headers

    def post(self, body: bytes) -> float:
        start = time.perf_counter()
        self.conn.request("POST", "/", body=body, headers=self.headers)
        response = self.conn.getresponse()
        response.read()
        return (time.perf_counter() - start) * 1000


def event_bytes(raw: dict[str, Any], session: str, run: int) -> bytes:
    event = dict(raw)
    event["session_id"] = session
    event["tool_use_id"] = f"toolu_serve_{session}_{run}_{time.monotonic_ns()}"
    return json.dumps(event).encode()


def latency(client: Client, raw: dict[str, Any], runs: int, session: str) -> list[float]:
    return [client.post(event_bytes(raw, session, run)) for run in range(runs)]


def throughput(server: ServeProcess, events: list[Event], per_session: int) -> float:
    """Events per second with CONCURRENT_SESSIONS clients posting at once."""
    bodies = [
        [event_bytes(events[i % len(events)][1], f"bench-par-{s}", i) for i in range(per_session)]
        for s in range(CONCURRENT_SESSIONS)
    ]
    clients = [server.client() for _ in range(CONCURRENT_SESSIONS)]
    barrier = threading.Barrier(CONCURRENT_SESSIONS + 1)

    def work(client: Client, mine: list[bytes]) -> None:
        barrier.wait()
        for body in mine:
            client.post(body)

    threads = [
        threading.Thread(target=work, args=(c, b)) for c, b in zip(clients, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return CONCURRENT_SESSIONS * per_session / (time.perf_counter() - start)


def pick(events: list[Event], tool: str) -> list[Event]:
    return [(name, raw) for name, raw in events if raw.get("tool_name") == tool]


def is_py_write(raw: dict[str, Any]) -> bool:
    path = str((raw.get("tool_input") or {}).get("file_path", ""))
    return raw.get("tool_name") == "Write" and path.endswith(".py")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "n": len(values),
    }


def measure_serve(events: list[Event], runs: int, home: str, project: str) -> dict[str, Any]:
    for _name, raw in events:
        materialise(raw, project)
    server = ServeProcess(home)
    try:
        client = server.client()
        for _name, raw in events:  # warm-up: lazy imports, first folders, ruff's first start
            client.post(event_bytes(raw, "bench-warm", 0))
        reads = [ms for _n, raw in pick(events, "Read") for ms in latency(client, raw, runs, "r")]
        bashes = [ms for _n, raw in pick(events, "Bash") for ms in latency(client, raw, runs, "b")]
        writes: list[float] = []
        floor: list[float] = []
        floor_args = [sys.executable, *FLOOR_ARGS]
        for _name, raw in [e for e in events if is_py_write(e[1])]:
            for run in range(runs):
                event = with_new_content(raw, run)
                materialise(event, project)
                writes.append(client.post(event_bytes(event, "w", run)))
                floor.append(time_process(floor_args, b"", project))
        events_per_s = throughput(server, events, max(runs, 25))
    finally:
        server.stop()
    workers = os.cpu_count() or 1
    server = ServeProcess(home + "-workers", workers)
    try:
        workers_events_per_s = throughput(server, events, max(runs, 25))
    finally:
        server.stop()
    floor_p50 = statistics.median(floor) if floor else None
    write_p50 = statistics.median(writes) if writes else None
    return {
        "read": summary(reads) if reads else None,
        "bash": summary(bashes) if bashes else None,
        "py_write_new_content": summary(writes) if writes else None,
        "floor_p50_ms": round(floor_p50, 3) if floor_p50 else None,
        "py_write_ratio": round(write_p50 / floor_p50, 3) if write_p50 and floor_p50 else None,
        "concurrent_sessions": CONCURRENT_SESSIONS,
        "events_per_s": round(events_per_s, 1),
        "workers": workers,
        "workers_events_per_s": round(workers_events_per_s, 1),
    }


def report_lines(serve: dict[str, Any]) -> list[str]:
    lines = ["", "serve mode (one warm `posttool serve`, keep-alive loopback client):"]
    for label, key in (
        ("Read", "read"),
        ("Bash", "bash"),
        (".py write, new content", "py_write_new_content"),
    ):
        row = serve.get(key)
        if row:
            figures = f"p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms"
            if serve.get("floor_p50_ms"):
                figures += f" (p50 {row['p50_ms'] / serve['floor_p50_ms']:.2f}× the floor)"
            lines.append(f"  {label}: {figures} ({row['n']} posts)")
    if serve.get("floor_p50_ms"):
        lines.append(f"  floor (bare interpreter start, same run): {serve['floor_p50_ms']:.1f} ms")
    sessions = serve["concurrent_sessions"]
    lines.append(
        f"  {sessions} concurrent sessions: {serve['events_per_s']:.0f} events/s; with "
        f"--workers {serve['workers']}: {serve['workers_events_per_s']:.0f} events/s"
    )
    return lines


SERVE_BENCH = ServeBench(measure_serve, report_lines)
