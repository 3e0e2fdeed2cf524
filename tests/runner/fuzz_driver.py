"""Many fuzz steps through `posttool run`'s entry (`handle`) in one process.

Started as `python fuzz_driver.py HOME STEPS ANSWERS`. It imports only what `posttool run`
imports (no `json`, so `_json` runs without `json.decoder`, exactly as on the hot path) and
calls the same `handle` for each event, so one process start covers hundreds of events.

STEPS is a sequence of records `<kind:1><length:10 digits><payload>`:
  E  payload: the raw bytes of one event, handed to `handle`
  W  payload: `<path>\\0<bytes>`, write the bytes over the file (a folder there is removed)
  D  payload: `<path>`, replace the file with an empty folder
  T  payload: `<path>\\0<per mille>`, cut the file to that share of its size
Paths are absolute. ANSWERS receives one `<length:10 digits><answer>` record per event.
"""

from __future__ import annotations

import os
import sys


def records(data: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    i = 0
    while i < len(data):
        kind = data[i : i + 1]
        size = int(data[i + 1 : i + 11])
        out.append((kind, data[i + 11 : i + 11 + size]))
        i += 11 + size
    return out


def remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        for name in os.listdir(path):
            remove(os.path.join(path, name))
        os.rmdir(path)
    elif os.path.lexists(path):
        os.unlink(path)


def damage(kind: bytes, payload: bytes) -> None:
    path_bytes, _, arg = payload.partition(b"\0")
    path = os.fsdecode(path_bytes)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if kind == b"W":
        remove(path)
        with open(path, "wb") as handle:
            handle.write(arg)
    elif kind == b"D":
        remove(path)
        os.mkdir(path)
    elif kind == b"T" and os.path.isfile(path):
        size = os.path.getsize(path)
        os.truncate(path, size * int(arg) // 1000)


def main() -> int:
    home, steps_path, answers_path = sys.argv[1:4]
    from posttool.runner.run import handle

    with open(steps_path, "rb") as handle_in:
        steps = records(handle_in.read())
    with open(answers_path, "wb") as out:
        for kind, payload in steps:
            if kind == b"E":
                answer = handle(payload, home=home).encode("utf-8")
                out.write(b"%010d" % len(answer) + answer)
            else:
                damage(kind, payload)
    if "json" in sys.modules:  # the point of this driver: the hot path's import state
        sys.stderr.write("fuzz driver: json was imported\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
