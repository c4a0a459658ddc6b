#!/usr/bin/env python3
"""Turn an ingest run's results.txt into the markdown tables of bench/README.md.

    table.py RESULTS_TXT [MACHINE_MD]
"""

import sys
import time

NAMES = {
    "nginx": "nginx (static 200)",
    "scrm-notify": "scrm-notify",
    "scrm-notify-norules": "scrm-notify, no rules",
    "alertmanager": "Alertmanager",
}


def parse(path):
    runs, rss, backlog = {}, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            kind, *fields = line.split()
            row = dict(field.split("=", 1) for field in fields)
            if kind == "run":
                runs[(row["server"], row["label"])] = row
            elif kind == "rss":
                rss.append(row)
            elif kind == "backlog":
                backlog.append(row)
    return runs, rss, backlog


def rate(runs, server, conns):
    row = runs.get((server, "c%s" % conns))
    return float(row["ok_per_s"]) if row else None


def fmt_rate(value):
    return "n/a" if value is None else "{:,.0f}".format(value)


def ratio(a, b):
    return "n/a" if a is None or not b else "%.2f" % (a / b)


def latency(runs, server, conns):
    row = runs.get((server, "c%s" % conns))
    if not row:
        return "n/a"
    return "%.2f / %.2f" % (float(row["p50_ms"]), float(row["p99_ms"]))


def main():
    runs, rss, backlog = parse(sys.argv[1])
    conns = sorted({int(r["conns"]) for (s, label), r in runs.items() if label.startswith("c")})
    print("Ingest, %s. Accepted requests per second (HTTP 200 only):" % time.strftime("%Y-%m-%d %H:%M %Z"))
    print()
    print("| connections | nginx req/s | scrm-notify pushes/s | Alertmanager alerts/s "
          "| scrm-notify / nginx | scrm-notify / Alertmanager |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in conns:
        n, s, a = (rate(runs, server, c) for server in ("nginx", "scrm-notify", "alertmanager"))
        print("| %d | %s | %s | %s | %s | %s |" % (c, fmt_rate(n), fmt_rate(s), fmt_rate(a), ratio(s, n), ratio(s, a)))
    print()
    print("Latency p50 / p99 in ms:")
    print()
    print("| connections | nginx | scrm-notify | Alertmanager |")
    print("| ---: | ---: | ---: | ---: |")
    for c in conns:
        print("| %d | %s |" % (c, " | ".join(latency(runs, s, c) for s in ("nginx", "scrm-notify", "alertmanager"))))
    extra = sorted({s for (s, _) in runs} - {"nginx", "scrm-notify", "alertmanager"})
    if extra:
        print()
        print("Diagnostic runs, accepted per second and p50 / p99 ms:")
        print()
        print("| server | " + " | ".join("%d connections" % c for c in conns) + " |")
        print("| --- |" + " ---: |" * len(conns))
        for server in extra:
            cells = ["%s, %s" % (fmt_rate(rate(runs, server, c)), latency(runs, server, c)) for c in conns]
            print("| %s | %s |" % (NAMES.get(server, server), " | ".join(cells)))
    print()
    print("Resident memory (VmRSS; nginx: master and workers):")
    print()
    print("| server | when | accepted requests so far | resident |")
    print("| --- | --- | ---: | ---: |")
    for row in rss:
        print("| %s | %s | %s | %.0f MB |" % (NAMES.get(row["server"], row["server"]), row["label"],
                                            "{:,}".format(int(row["requests"])), int(row["kb"]) / 1024))
    if backlog:
        print()
        for row in backlog:
            print("- %s, %s: %s pushes stored, %s of them not yet planned; %s notifications sent" % (
                NAMES.get(row["server"], row["server"]), row["label"], "{:,}".format(int(row["stored"])),
                "{:,}".format(int(row["unplanned"] or 0)), "{:,}".format(int(row.get("sent") or 0))))
    # Only scrm-notify's rule sends for each new booking; nginx and the run without rules are not affected.
    repeats = [(k, r) for k, r in runs.items() if k[0] == "scrm-notify" and int(r.get("repeated") or 0)]
    if repeats:
        print()
        print("Runs that reached the end of the push file and sent bookings again (no new notification each):")
        print()
        for (server, label), r in repeats:
            print("- %s %s: about %s of %s requests" % (server, label, r["repeated"], r["requests"]))
    bad = [(k, r) for k, r in runs.items() if int(r["non200"]) or int(r["errors"])]
    if bad:
        print()
        print("Failed requests:")
        print()
        for (server, label), r in bad:
            print("- %s %s: %s non-200 (%s), %s socket errors" % (server, label, r["non200"], r["codes"], r["errors"]))
    if len(sys.argv) > 2:
        print()
        print("Machine:")
        print()
        with open(sys.argv[2], encoding="utf-8") as f:
            sys.stdout.write(f.read())


if __name__ == "__main__":
    main()
