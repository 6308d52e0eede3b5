"""Where a delivery's CPU goes, by stage: reads `perf script` output of a commsd daemon recorded
with DWARF call graphs (so stacks through libsqlite3 and libcurl, which have no frame pointers, are
whole) and puts each sample in the first stage its stack passes through. Prints each stage's share,
its µs per delivery, and what its samples were doing at the top of the stack.

    perf record -F 397 --call-graph dwarf,16384 -o perf.data -p $(pgrep -f 'commsd serve')
    perf script -i perf.data | swift demangle --simplified --compact > script.txt
    python3 Benchmarks/perf_stages.py script.txt DELIVERIES CPU_US_PER_DELIVERY

(Benchmarks/NOTES.md, "The hot path, stage by stage", was written with it.)
"""

from __future__ import annotations

import collections
import re
import sys

# First match wins: a sample in a planning transaction counts as planning even though it runs in
# the store's writer. The markers are demangled Swift names (or C functions on the curl thread).
STAGES = [
    ("plan (rows written)", ["Planner.", "savePlan", "writePlan"]),
    ("record (outcomes + audit events)", ["SQLiteStore.record", "Recorder.flush", "insertAudit"]),
    ("lease", ["SQLiteStore.lease"]),
    # Both run on the writer outside any stage's frames: GRDB commits after
    # the stage's closure has returned, and the checkpoint is a step of its own.
    ("checkpoint (the log copied into the database file, synced)", ["SQLiteStore.checkpoint"]),
    ("commit (the log's frames written, fdatasync)", ["Database.commit", "Database.beginTransaction"]),
    ("other store calls", ["SQLiteStore.", "Store.", "StoreTransaction"]),
    ("prepare (payload, signature; an email's MIME)", ["Dispatcher.prepare", "WebhookTransport.prepare",
                                                        "EmailTransport.prepare"]),
    ("completion bookkeeping (curl thread)", ["Dispatcher.finish", "Recorder.add", "makeRecord"]),
    ("curl: response read-out", ["collectFinished"]),
    ("curl: easy handle setup", ["CurlMultiLoop.start", "CurlTransfer.make"]),
    ("curl: libcurl + socket I/O", ["multi_perform"]),
    ("curl: poll", ["multi_poll"]),
    ("curl: loop other", ["CurlMultiLoop", "CurlInbox"]),
    ("dispatcher loop", ["Dispatcher.", "Doorbell"]),
    ("timers (dispatch manager thread)", ["_dispatch_mgr"]),
    # Last: only what no stage above claims.
    ("threads sleeping and waking (semaphores, futex)", ["_dispatch_sema4", "_dispatch_semaphore",
                                                         "__x64_sys_futex", "futex_wait", "futex_wake"]),
]
ALLOC = re.compile(r"malloc|free|swift_retain|swift_release|memmove|memcpy|_swift_release_dealloc|"
                   r"swift_allocObject|swift_bridgeObject|tcache|unlink_chunk")


def leaf_kind(frames: list[str]) -> str:
    top = frames[0]
    if "libsqlite3" in top:
        return "sqlite"
    if "kernel.kallsyms" in top:
        return "kernel"
    if "libcurl" in top:
        return "libcurl"
    if ALLOC.search(top):
        return "alloc/refcount/copy"
    if "libc.so" in top:
        return "libc other"
    return "commsd/swift"


def main() -> None:
    path, deliveries, cpu_us = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    stages: collections.Counter[str] = collections.Counter()
    kinds: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    samples = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        blocks = handle.read().split("\n\n")
    for block in blocks:
        lines = block.strip().split("\n")
        if len(lines) < 2:
            continue
        samples += 1
        frames = lines[1:]
        stage = next((name for name, marks in STAGES if any(m in f for m in marks for f in frames)), None)
        if stage is None:
            thread = lines[0].split()[0]
            stage = f"kernel, no stage ({thread})" if "kernel" in frames[0] else f"other ({thread})"
        stages[stage] += 1
        kinds[stage][leaf_kind(frames)] += 1
    print(f"{samples} samples, {deliveries:,} deliveries, {cpu_us:.0f} µs of CPU each")
    for stage, count in stages.most_common():
        top = ", ".join(f"{k} {100 * n / count:.0f} %" for k, n in kinds[stage].most_common(4))
        print(f"{100 * count / samples:5.1f} %  {cpu_us * count / samples:5.1f} µs  {stage}  [{top}]")


if __name__ == "__main__":
    main()
