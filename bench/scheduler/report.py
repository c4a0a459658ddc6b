#!/usr/bin/env python3
"""Lateness of each due job: arrival at the sink minus due time. usage: report.py DUE_FILE SINK_LOG"""
import sys


def percentile(values, p):
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[index]


def main():
    due = dict(line.split() for line in open(sys.argv[1]))
    seen, late, duplicates, unknown = set(), [], 0, 0
    for line in open(sys.argv[2]):
        arrived, job = line.split()
        if job not in due:
            unknown += 1
            continue
        if job in seen:
            duplicates += 1
            continue
        seen.add(job)
        late.append(int(arrived) - int(due[job]))
    late.sort()
    print("due jobs: %d, received: %d, missing: %d, duplicates: %d, unexpected: %d"
          % (len(due), len(seen), len(due) - len(seen), duplicates, unknown))
    if late:
        print("lateness ms: min %d  p50 %d  p99 %d  max %d"
              % (late[0], percentile(late, 50), percentile(late, 99), late[-1]))


if __name__ == "__main__":
    main()
