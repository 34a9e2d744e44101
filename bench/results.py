"""Write bench/RESULTS.md from the "name: value" lines of one bench run.

    python bench/results.py FIGURES COMMIT "ARGS" > bench/RESULTS.md

Called by bench/run.sh; what each figure measures is in bench/README.md.
"""

import sys

# name: (what it is, goal and bound where the project set one)
FIGURES = {
    "won_overhead_ratio": (
        "1,000 deals won in one write, crediting on / off (median of the rounds)",
        "goal ≤ 1.2, bound 1.5",
    ),
    "won_overhead_ratio_best": ("the same, fastest run of each path", ""),
    "won_overhead_ratio_with_commit": ("the same, the commit included", ""),
    "won_1000_seconds_crediting_on": ("the won write, crediting on (s)", ""),
    "won_1000_seconds_crediting_off": ("the won write, crediting off (s)", ""),
    "won_1000_entries": ("ledger lines those deals get", ""),
    "credit_job_1000_seconds": ("the crediting job writing them (s)", ""),
    "won_queries_1": ("queries of the won write, 1 deal", ""),
    "won_queries_100": ("… 100 deals", ""),
    "won_queries_1000": ("… 1,000 deals", ""),
    "won_queries_1_crediting": ("crediting's share, 1 deal", ""),
    "won_queries_100_crediting": ("… 100 deals", ""),
    "won_queries_1000_crediting": ("… 1,000 deals", ""),
    "credit_job_queries_1": ("queries of the job's run, 1 deal", ""),
    "credit_job_queries_100": ("… 100 deals", ""),
    "credit_job_queries_1000": ("… 1,000 deals", ""),
    "payout_100k_seconds": ("one month's payout over 100,000 entries (s)", "goal 3, bound 10"),
    "payout_100k_lines": ("its lines", ""),
    "xlsx_10k_seconds": ("payroll workbook of 10,000 lines (s)", "goal 1, bound 3"),
    "xlsx_10k_peak_mb": ("its peak Python memory (MB)", ""),
    "xlsx_10k_base64_kb": ("its size, base64 (KB)", ""),
    "signal_create_ms": ("one signal logged as an employee (ms, median of 30)", ""),
    # --replica (bench/replica.py)
    **{
        f"replica_share_{screen}": (f"{screen}: share of its queries the replica ran", "goal > 0.9")
        for screen in ("home", "my_contributions", "my_signals", "analysis", "evaluation")
    },
    "replica_rw_retries": ("read-only requests Odoo ran again on the primary", "goal 0"),
    "replica_fallbacks": ("replica cursors Odoo could not open (fell back to the primary)", "0"),
    "replica_contents_mismatches": ("screen data calls reading otherwise on the primary", "0"),
}


def main(path, commit, args):
    values = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            name, sep, value = line.partition(": ")
            if sep:
                values[name.strip()] = value.strip()
    out = [
        "# Benchmark: the last run",
        "",
        "Written by `bench/run.sh`"
        + (f" (`{args}`)" if args else "")
        + f" at commit `{commit}`; do not edit by hand. What each figure measures,"
        " and how to read it: [bench/README.md](README.md).",
        "",
        "| Run | |",
        "|---|---|",
    ]
    for name in (
        "date", "machine_cpu", "machine_cores", "machine_ram_gb", "python", "odoo",
        "postgresql", "load_average_at_start", "load_average_at_end",
        "data_employees", "data_departments", "data_seconds", "bench_total_seconds",
        "run_total_seconds",
    ):  # fmt: skip
        if name in values:
            out.append(f"| `{name}` | {values[name]} |")
    out += ["", "| Figure | Value | What | Goal / bound |", "|---|---|---|---|"]
    for name, (what, goal) in FIGURES.items():
        if name in values:
            out.append(f"| `{name}` | **{values[name]}** | {what} | {goal} |")
    known = set(FIGURES) | {line.split("`")[1] for line in out if line.startswith("| `")}
    for name, value in values.items():
        if name not in known:
            out.append(f"| `{name}` | {value} | | |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
