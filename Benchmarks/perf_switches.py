"""Where commsd's threads go to sleep or lose the CPU: reads `perf script` output of a daemon recorded
with `-e sched:sched_switch --call-graph dwarf` and counts each context switch per delivery by thread,
by what the kernel was doing (the system call it slept in, or "preempt" when it was runnable and lost
the CPU) and by the stack above it.

    python3 Benchmarks/bench.py --skip-build --only profile [--profile-email] --profile-switches --keep
    perf script -i perf.data -F comm,tid,event,trace,ip,sym,dso | swift demangle --simplified --compact \
        > switches.txt
    python3 Benchmarks/perf_switches.py switches.txt DELIVERIES [DEPTH] [ROWS]

(Benchmarks/NOTES.md, "The hot path, fifth pass", was written with it.)
"""

from __future__ import annotations

import collections
import re
import sys

KERNEL = ("__", "schedule", "do_", "entry_", "futex_", "exit_to", "irqentry", "asm_", "[unknown]",
          "_dispatch_sema4", "_dispatch_semaphore", "ep_", "sysvec", "x64_sys", "syscall_exit", "ret_from")
LIBC = re.compile(r"^(epoll_wait|poll|fdatasync|pwrite|pread|sendto|recvfrom|start_thread|clone3|__new_sem|"
                  r"__futex|__lll|lll_|___pthread|pthread_cond|__pthread)")


def main() -> None:
    path, deliveries = sys.argv[1], int(sys.argv[2])
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 25
    stacks: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
    threads: collections.Counter[tuple[str, str]] = collections.Counter()
    towards: collections.Counter[tuple[str, str]] = collections.Counter()
    total = 0

    def count(head: str | None, frames: list[str]) -> None:
        nonlocal total
        match = head and re.match(r"\s*(.+?)\s+(\d+)\s+sched:sched_switch:.*prev_state=(\S+).*next_comm=(.*?) next_pid", head)
        if not match:
            return
        comm, state, following = match.group(1).strip()[-16:], match.group(3)[:1], match.group(4)
        call = next((re.sub(r"^__x64_sys_", "", f) for f in frames if f.startswith("__x64_sys_")),
                    "preempt" if state == "R" else "?")
        user = [f for f in frames if not f.startswith(KERNEL) and not LIBC.match(f)]
        stacks[(comm, state, call, " < ".join(user[:depth]))] += 1
        threads[(comm, call)] += 1
        towards[(comm, following.strip()[-16:])] += 1
        total += 1

    head, frames = None, []
    with open(path, errors="replace") as script:
        for line in script:
            if not line.strip():
                count(head, frames)
                head, frames = None, []
            elif not line.startswith("\t") and "sched:sched_switch" in line:
                count(head, frames)
                head, frames = line, []
            else:
                parts = line.strip().split(" ", 1)
                if len(parts) == 2:
                    frames.append(re.sub(r" \([^()]*\)$", "", parts[1]).strip())
    count(head, frames)
    print(f"{total} context switches, {total / deliveries:.2f} per delivery\n")
    print("per delivery, by thread and what it was doing (preempt: runnable, lost the CPU):")
    for (comm, call), n in threads.most_common(12):
        print(f"  {n / deliveries:6.3f}  {comm:18} {call}")
    print("\nper delivery, by thread and who ran next:")
    for (comm, following), n in towards.most_common(10):
        print(f"  {n / deliveries:6.3f}  {comm:18} -> {following}")
    print(f"\nper delivery, by stack (the {depth} frames above the kernel and libc):")
    for (comm, state, call, stack), n in stacks.most_common(rows):
        print(f"  {n / deliveries:6.3f}  {comm:16} {state} {call:10} {stack[:240]}")


if __name__ == "__main__":
    main()
