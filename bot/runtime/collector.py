"""The cyclic garbage collector, set for a long-running bot (``buurtbot run`` calls this once
the bot has started; the benches do the same, so they measure what runs in production).

- What start-up loaded (modules, catalogues, PTB's handlers) lives as long as the bot: frozen,
  a full collection scans only what came later. On a busy machine a full collection took 95 ms
  during an all-projects export (bench/export_lag.py).
- Every update makes thousands of short-lived objects (PTB builds one per field of an update
  and of every answer), nearly all freed by reference counting. With Python's default of a
  young collection every 700 allocations, the collector ran 150 times in one round of
  bench/report_flow.py and a full collection of the bot's heap twice: 0.22 s of the loop's 2 s.
  A young collection every 10,000 allocations runs it 7 times (0.02 s) in a round. The older
  generations keep Python's ratios, so garbage in reference cycles (a big export's files among
  it) is not kept much longer than with Python's defaults. bench/memory.py, which sets the
  collector this way too: the bot's peak during an all-projects export 142-146 MB.
"""

from __future__ import annotations

import gc

# A young collection every 10,000 net allocations; the middle and full ones at Python's ratios
# (the full one also waits until a quarter of the old objects is new).
THRESHOLDS = (10_000, 10, 10)


def settle_collector() -> None:
    """Freeze what is alive now and space out the collector's runs."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
