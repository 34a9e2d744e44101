"""One crediting worker for the bench's large profile: a real Odoo process
(its own registry and connection, like a cron worker) that runs the
crediting job, batch after batch, one transaction each, until no deal is
left. It loads Odoo, touches ``--ready``, waits for ``--gun`` to exist,
then works; prints ``deals N`` (how many deals it credited) and
``seconds S``."""

import argparse
import os
import time

import odoo
from odoo.tools import config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--gun", required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:  # warm the registry's caches
        odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["crm.contribution.queue"].search_count([])
    with open(args.ready, "w", encoding="utf-8") as handle:
        handle.write("ready")
    while not os.path.exists(args.gun):
        time.sleep(0.05)
    started = time.perf_counter()
    deals = 0
    while True:
        # What the scheduled action does at each run (_cron_credit), without
        # the cron's progress bookkeeping: one batch, one transaction.
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            done, remaining = env["crm.contribution.queue"]._process(limit=args.batch)
        deals += done
        if not done and not remaining:
            break
        if not done:
            time.sleep(0.1)  # the others hold the remaining notes
    print(f"deals {deals}")
    print(f"seconds {time.perf_counter() - started:.2f}")


if __name__ == "__main__":
    main()
