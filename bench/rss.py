"""Resident memory of a process serving requests through the tracer, at 10,000 and 100,000 requests.

In-process, like `overhead.py`: the app wrapped in `WSGITracer` / `ASGITracer`
with a `JsonlSink` writing to a temporary file, called with a prebuilt
environ or scope, request after request. The resident set size is read from
``/proc/self/statm`` after a full garbage collection at each checkpoint; the
report gives it at each, and the growth from 10,000 to 100,000 requests.

    python bench/rss.py                       # hello, WSGI and ASGI
    python bench/rss.py --scenario realistic  # about 10 KiB of trace per request
    python bench/rss.py --explain             # also what the memory is, at each checkpoint (stderr)

With ``--explain`` (Linux, glibc; on stderr) each checkpoint also gives the
Python blocks and objects, pymalloc's arenas, glibc's heaps (``mallinfo2``,
``malloc_info``: in use and free), the resident memory by kind of mapping
(``/proc/self/smaps``) and how far the sink's writer thread fell behind (the
most ended traces queued at once, the most lines in one write; pure build
only); between checkpoints, every change of 0.5 MiB in RSS, and where. At the
end, what one encoded line takes in memory, and how much of the RSS was free
memory glibc kept (``malloc_trim(0)`` gives it back). Its own work makes the
table's numbers differ a little from a plain run's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import gc
import os
import re
import sys
import tempfile
import time
from typing import Any

from overhead import run_asgi, run_wsgi
from scenarios import asgi_hello, asgi_realistic, wsgi_environ, wsgi_hello, wsgi_realistic

from tracer import ASGITracer, JsonlSink, WSGITracer

CHECKPOINTS = (1_000, 10_000, 50_000, 100_000)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    gc.collect()
    return resident_mib()


def resident_mib() -> float:
    with open("/proc/self/statm") as file:
        resident = int(file.read().split()[1])
    return resident * PAGE / 2**20


def measure(protocol: str, realistic: bool, directory: str, explain: bool = False) -> list[tuple[int, float, float, int]]:
    """(requests so far, RSS MiB, seconds so far, trace file bytes) at each checkpoint."""
    path = os.path.join(directory, f"{protocol}.jsonl")
    sink = JsonlSink(path)
    watch = Watch(sink) if explain else None
    rows = []
    done = 0
    started = time.perf_counter()
    loop = asyncio.new_event_loop()
    if protocol == "wsgi":
        app: Any = WSGITracer(wsgi_realistic if realistic else wsgi_hello, sink=sink)
        make_environ = wsgi_environ(realistic)
    else:
        app = ASGITracer(asgi_realistic if realistic else asgi_hello, sink=sink)
    for checkpoint in CHECKPOINTS:
        count = checkpoint - done
        while count:
            step = min(count, 1000)
            if protocol == "wsgi":
                run_wsgi(app, make_environ, step)
            else:
                loop.run_until_complete(run_asgi(app, realistic, step))
            count -= step
            if watch is not None:
                watch.step(checkpoint - count)
        done = checkpoint
        sink.flush()
        rows.append((done, rss_mib(), time.perf_counter() - started, os.path.getsize(path)))
        if watch is not None:
            watch.checkpoint(protocol, done)
    loop.close()
    sink.close()
    os.unlink(path)
    if watch is not None:
        watch.finish(protocol)
    return rows


# --explain


class _CountingQueue(collections.deque):  # type: ignore[type-arg]
    """The sink's queue of lines waiting for the writer, remembering its longest."""

    longest = 0

    def append(self, item: Any) -> None:
        collections.deque.append(self, item)
        if len(self) > self.longest:
            self.longest = len(self)


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    ]


def _libc() -> Any:
    try:
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = _MallInfo2
        libc.fdopen.restype = ctypes.c_void_p
        libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
        libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.fclose.argtypes = [ctypes.c_void_p]
        libc.malloc_usable_size.restype = ctypes.c_size_t
        libc.malloc_usable_size.argtypes = [ctypes.c_void_p]
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc()


def glibc_heaps() -> str:
    """glibc's malloc: bytes in heaps (all arenas), in use, free, mmapped chunks, and the arenas."""
    if _LIBC is None:
        return "glibc: n/a"
    info = _LIBC.mallinfo2()
    arenas = malloc_info_arenas()
    return (
        f"glibc: heaps {info.arena / 2**20:.2f} MiB, in use {info.uordblks / 2**20:.2f}, free {info.fordblks / 2**20:.2f}, "
        f"mmapped chunks {info.hblks} ({info.hblkhd / 2**20:.2f} MiB); {arenas}"
    )


def line_allocation() -> str:
    """What one encoded line of the trace file takes in memory: orjson may return bytes with room to spare."""
    if _LIBC is None:
        return "line allocation: n/a"
    import orjson

    record = {"trace": "0" * 32, "seq": 3, "t_ns": 123456, "kind": "response.start", "data": {"status": 200}}
    line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    # A bytes object is not tracked by the collector: the allocation starts at the object.
    return f"a {len(line)}-byte line from orjson {orjson.__version__} takes {_LIBC.malloc_usable_size(id(line)):,} bytes of malloc"


def malloc_use() -> str:
    """glibc's bytes in use and free in its heaps, MiB."""
    if _LIBC is None:
        return "glibc: n/a"
    info = _LIBC.mallinfo2()
    return f"glibc in use {info.uordblks / 2**20:.2f}, free {info.fordblks / 2**20:.2f}, heaps {info.arena / 2**20:.2f}"


def malloc_info_arenas() -> str:
    """Per arena (malloc_info): system bytes and free bytes, MiB."""
    read, write = os.pipe()
    try:
        stream = _LIBC.fdopen(write, b"w")
        _LIBC.malloc_info(0, stream)
        _LIBC.fclose(stream)
        chunks = []
        while True:
            chunk = os.read(read, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
    text = b"".join(chunks).decode()
    parts = []
    for number, heap in re.findall(r'<heap nr="(\d+)">(.*?)</heap>', text, re.S):
        system = re.search(r'<system type="current" size="(\d+)"/>', heap)
        free = re.search(r'<total type="fast" count="\d+" size="(\d+)"/>\s*<total type="rest" count="\d+" size="(\d+)"/>', heap)
        free_bytes = int(free.group(1)) + int(free.group(2)) if free else 0
        parts.append(f"#{number} {int(system.group(1)) / 2**20:.2f}/{free_bytes / 2**20:.2f} free" if system else f"#{number} ?")
    return "arenas (MiB system/free): " + ", ".join(parts)


def pymalloc_arenas() -> str:
    """pymalloc's arenas now and at most (sys._debugmallocstats, which prints to stderr)."""
    with tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode()
    current = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    highest = re.search(r"# arenas highwater mark\s*=\s*([\d,]+)", text)
    unused = re.search(r"([\d,]+) unused pools \* (\d+) bytes", text)
    if not current or not highest:
        return "pymalloc: n/a"
    free_pools = f", {int(unused.group(1).replace(',', ''))} unused pools" if unused else ""
    return f"pymalloc: {current.group(1)} arenas of 1 MiB (most {highest.group(1)}){free_pools}"


def mappings() -> dict[str, float]:
    """Resident MiB by kind of mapping: [heap] (glibc's main arena), glibc's other arenas, other anonymous memory, files."""
    kinds: dict[str, float] = collections.Counter()
    name = ""
    with open("/proc/self/smaps") as file:
        for line in file:
            head = line.split(None, 6)
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                start = int(head[0].split("-")[0], 16)
                path = head[5].strip() if len(head) > 5 else ""
                if path in ("[heap]", "[stack]"):
                    name = path
                elif path.startswith("["):
                    name = "other"
                elif path:
                    name = "files"
                elif start % (64 * 2**20) == 0:
                    name = "thread arenas"  # glibc aligns each heap of a thread's arena to 64 MiB
                else:
                    name = "anonymous"  # pymalloc's arenas, mmapped chunks, thread stacks
            elif head[0] == "Rss:":
                kinds[name] += int(head[1]) / 1024
    return kinds


class Watch:
    """What `--explain` follows while requests run: the sink's queue and writes, RSS every 1,000 requests."""

    def __init__(self, sink: JsonlSink) -> None:
        file = sink._file
        self.queue = _CountingQueue()
        self.widest = 0
        self.writes = 0
        write_out = file.write_out

        def counting_write_out(lines: list[bytes]) -> None:
            self.writes += 1
            if len(lines) > self.widest:
                self.widest = len(lines)
            write_out(lines)

        try:
            file.queue = self.queue  # type: ignore[misc]
            file.write_out = counting_write_out  # type: ignore[method-assign]
            self.counted = True
        except (AttributeError, TypeError):  # compiled: a native class
            self.counted = False
        self.last = resident_mib()
        self.last_kinds = mappings()
        self.steps: list[str] = []
        self.before: dict[str, float] = {}
        self.seen_at = time.perf_counter()

    def step(self, done: int) -> None:
        """After each 1,000 requests: a change of 0.5 MiB or more in RSS (no collection first), and where."""
        now = resident_mib()
        if abs(now - self.last) >= 0.5:
            kinds = mappings()
            where = ", ".join(
                f"{kind} {value - self.last_kinds.get(kind, 0.0):+.1f}"
                for kind, value in sorted(kinds.items())
                if abs(value - self.last_kinds.get(kind, 0.0)) >= 0.1
            )
            self.steps.append(
                f"{now - self.last:+.1f} MiB by {done:,} ({where}); queue longest {self.queue.longest} so far, "
                f"{sys.getallocatedblocks():,} blocks; {malloc_use()}"
            )
            self.last_kinds = kinds
        self.last = now

    def checkpoint(self, protocol: str, done: int) -> None:
        kinds = mappings()
        out = sys.stderr
        seconds = time.perf_counter() - self.seen_at
        load = os.getloadavg()[0]
        print(f"[{protocol} {done:,}] {seconds:.1f} s since last, load {load:.2f}", file=out)
        print(
            f"  python: {sys.getallocatedblocks():,} blocks, {len(gc.get_objects()):,} gc objects; {pymalloc_arenas()}",
            file=out,
        )
        print(f"  {glibc_heaps()}", file=out)
        changes = ", ".join(
            f"{kind} {value:.1f}" + (f" ({value - self.before[kind]:+.1f})" if kind in self.before else "")
            for kind, value in sorted(kinds.items())
        )
        print(f"  RSS by mapping (MiB): {changes}", file=out)
        if self.counted:
            print(f"  sink: queue longest {self.queue.longest} traces, widest write {self.widest} lines, {self.writes:,} writes", file=out)
        for line in self.steps:
            print(f"  step: {line}", file=out)
        out.flush()
        self.steps.clear()
        self.before = kinds
        self.last = resident_mib()
        self.last_kinds = kinds
        self.seen_at = time.perf_counter()


    def finish(self, protocol: str) -> None:
        """After the last checkpoint (it changes what comes next): how much of the RSS is free memory malloc keeps."""
        if _LIBC is None:
            return
        before = rss_mib()
        _LIBC.malloc_trim(0)
        after = rss_mib()
        print(f"[{protocol} end] {line_allocation()}; malloc_trim(0) gives back {before - after:.2f} MiB", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("hello", "realistic"), default="hello")
    parser.add_argument("--protocol", choices=("wsgi", "asgi"), action="append", help="only this one (repeatable)")
    parser.add_argument("--explain", action="store_true", help="what the memory is at each checkpoint, on stderr")
    args = parser.parse_args()
    realistic = args.scenario == "realistic"
    print(f"python {sys.version.split()[0]}, {args.scenario}, one process, RSS after gc.collect()\n")
    print("| protocol | requests | RSS MiB | seconds | trace file MiB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for protocol in args.protocol or ("wsgi", "asgi"):
            rows = measure(protocol, realistic, directory, args.explain)
            for done, rss, seconds, size in rows:
                print(f"| {protocol.upper()} | {done:,} | {rss:.1f} | {seconds:.1f} | {size / 2**20:.0f} |", flush=True)
            at = {done: rss for done, rss, _, _ in rows}
            print(f"| {protocol.upper()} | 10,000 → 100,000 | {at[100_000] - at[10_000]:+.2f} | | |", flush=True)


if __name__ == "__main__":
    main()
