"""commsd's benchmarks as a small package (issue 3; split out of one bench.py in issue 17).

    python3 Benchmarks/bench.py …        # the entry point (make bench); or python3 -m commsd_bench from Benchmarks/

- paths       where things are: the repository, Benchmarks/.out, the release binary
- harness     processes started and stopped by PID, CPU and memory from /proc, machine load, waiting
              for quiet
- prepare     installing the sinks and peers, building commsd and the C references
- sinks       nginx and smtp-sink on loopback, and the project's test receivers
- config      commsd configurations (recipients in CSV lists, API tokens made by `commsd token create`)
- daemon      `commsd serve` and `commsd send`, and read-only queries on its SQLite store
- results     the rows and notes a run collects, and how figures are written
- report      the table and BENCHMARKS.md (its sections and markers)
- context     the counts (full and --quick) and what every benchmark is handed
- cli         the command line
- one module per benchmark: calibration, throughput (1 webhooks, 2 email), fanout (3), flash (4),
  memory (5), peers (6), audit (7), http_enqueue (8), scaleout (9), keyboard (10), perf_profile
  (named so as not to shadow the standard library's http and profile)

Every store a benchmark measures is filled by commsd itself (`commsd send`, `POST /v1/messages`, the
daemon's own deliveries and audit events), and API tokens come from `commsd token create`: the
package reads stores with sqlite3 or psql but writes none of commsd's formats. The exceptions are
in audit.py and say why: it trims the chain to exactly N events and alters one detail for the
tamper check.
"""
