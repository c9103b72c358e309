#!/usr/bin/python3
"""How late magnum-conductor's status sync ran, from its log (debug on, as
the stacks run it): for each `sync_cluster_status` run, its phase in the
period minus the boundary's, the boundary being the phase most runs share
(the 5th percentile, so that a few early-looking runs do not move it);
then the share of runs per lateness band and the chains of late runs.
BENCHMARKS.md, "Late syncs", says why runs are late in chains.

Usage: sync-lateness.py CONDUCTOR_LOG [PERIOD_SECONDS]
"""
import datetime
import sys

MARK = "Running periodic task MagnumPeriodicTasks.sync_cluster_status"
BANDS = [(None, 0.15), (0.15, 0.5), (0.5, 1), (1, 2), (2, 3), (3, None)]
LATE = 0.5  # a run this late or later counts towards a chain


def main():
    path = sys.argv[1]
    period = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    runs = []
    with open(path, errors="replace") as f:
        for line in f:
            if MARK in line:
                stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
                runs.append(stamp.timestamp())
    if len(runs) < 2:
        sys.exit(f"{path}: fewer than two sync runs logged")
    phases = sorted(t % period for t in runs)
    boundary = phases[len(phases) // 20]
    # A run a little before the percentile is on time, not a period late.
    late = [(t % period - boundary + 0.3) % period - 0.3 for t in runs]
    print(f"{path}: {len(runs)} runs over {(runs[-1] - runs[0]) / 60:.0f} min, "
          f"boundary {boundary:.2f} s into the period, at most {max(late):.2f} s late")
    for lo, hi in BANDS:
        n = sum(1 for x in late if (lo is None or x >= lo) and (hi is None or x < hi))
        name = f"< {hi} s" if lo is None else (f">= {lo} s" if hi is None else f"{lo}-{hi} s")
        print(f"  {name:>10}: {100 * n / len(late):5.1f} %")
    chains, run = [], 0
    for x in late + [0]:
        if x >= LATE:
            run += 1
        elif run:
            chains.append(run)
            run = 0
    print(f"  chains of runs >= {LATE} s late: {len(chains)}, of {sorted(chains)} runs")


if __name__ == "__main__":
    main()
