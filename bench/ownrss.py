"""Run `escm-check ARGS` in this process and write its own peak RSS (KiB) to $BENCH_OWN_RSS.

`wait4` reports the largest resident set of a process *or any of its children*, which for a
check is usually git's log; this wrapper measures escm-check's own process apart from git's
and from its worker processes.
"""

from __future__ import annotations

import atexit
import os
import resource
import sys


def _write() -> None:
    target = os.environ.get("BENCH_OWN_RSS")
    if target:
        with open(target, "w", encoding="ascii") as fh:
            fh.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


if __name__ == "__main__":
    atexit.register(_write)
    from escm_check.cli import main

    sys.argv = ["escm-check", *sys.argv[1:]]
    main()
