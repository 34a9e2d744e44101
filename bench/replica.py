"""The read replica of the large profile (``bench/run.sh --large --replica``).

After the large profile, on its company:

1. a second local PostgreSQL cluster becomes a streaming replica of the
   bench's primary (``pg_basebackup -R`` into a temporary folder, another
   port, started with ``pg_ctl``; replication is allowed on the primary if it
   was not, and put back as it was at the end);
2. an Odoo HTTP server runs on the bench database with ``--db_replica_host``
   / ``--db_replica_port`` (no cron);
3. while the crediting job writes on the primary (deals won and credited,
   batch after batch, by a process of its own), several employees and a
   manager open Home, My Contributions, My Signals, the contribution
   analysis and the evaluation over HTTP, as the web client does (JSON-RPC:
   authenticate, then each screen's action, views and data calls);
4. once the writer stopped and the replica caught up, each screen's data
   calls are sent again over HTTP and made on the primary in this process,
   as the same user: their results must be equal.

Figures (bench/README.md says more):

- ``replica_share_<screen>``: of the queries Odoo ran for that screen's
  requests (its own per-request count, in its request log), the share the
  replica executed (the replica's ``pg_stat_statements``, counted around
  the screen's requests; nothing else queries the replica meanwhile);
- ``replica_rw_retries``: read-only requests Odoo ran again on the primary
  after a write failed on the replica (its request log's ``ro->rw``);
  ``replica_fallbacks``: times Odoo could not open a replica cursor and
  fell back to the primary;
- ``replica_requests``, ``replica_writer_deals`` (deals the writer credited
  during the screens), ``replica_writer_busy_to_end`` (1: it was still
  writing when the last screen ended), ``replica_replay_lag_max_ms``;
- ``replica_contents_compared`` / ``replica_contents_mismatches`` (must be 0).

Also a script: ``replica.py writer …`` is the writing process, and
``replica.py cleanup STATE`` stops and removes what a run left behind
(bench/run.sh calls it on exit).
"""

import argparse
import contextlib
import datetime
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SCREENS = ("home", "my_contributions", "my_signals", "analysis", "evaluation")
ROUNDS = 3  # visits of each screen by each user
EMPLOYEES = 3  # employees reading their screens (besides the manager)
PASSWORD = "bench-replica"  # throwaway users of a throwaway database
SOCKET_DIR = "/var/run/postgresql"
# A werkzeug request line of Odoo's log: path, status, then Odoo's
# "query_count query_time python_time cursor_mode".
REQUEST_LINE = re.compile(
    r'"(?:GET|POST) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) \S+ '
    r"(?P<queries>\d+) [\d.]+ [\d.]+ (?P<mode>\S+)\s*$"
)
RETRY_WARNING = "retrying with a read/write cursor"
FALLBACK_WARNING = "Failed to open a readonly cursor"

HOME_SPEC = {
    "user_id": {"fields": {"display_name": {}}},
    "display_name": {},
    "currency_id": {"fields": {}},
    "program_id": {"fields": {"display_name": {}}},
    "program_name": {},
    "program_message": {},
    "my_signal_count": {},
    "my_open_signal_count": {},
    "my_won_signal_count": {},
    "my_credit_month": {},
    "my_points_month": {},
    "leaderboard": {},
    "my_signal_ids": {
        "fields": {"name": {}, "partner_id": {"fields": {"display_name": {}}}, "state": {}}
    },
    "rule_ids": {"fields": {"name": {}, "trigger": {}}},
}
LEDGER_SPEC = {
    "date": {},
    "employee_id": {"fields": {"display_name": {}}},
    "lead_name": {},
    "rule_id": {"fields": {"display_name": {}}},
    "explanation": {},
    "amount": {},
    "points": {},
    "state": {},
    "currency_id": {"fields": {}},
}
SIGNAL_SPEC = {
    "name": {},
    "state": {},
    "partner_id": {"fields": {"display_name": {}}},
    "contact_name": {},
    "signal_type_id": {"fields": {"display_name": {}}},
    "channel_id": {"fields": {"display_name": {}}},
    "duplicate_of_id": {"fields": {}},
    "estimated_revenue": {},
    "create_date": {},
    "employee_id": {"fields": {"display_name": {}}},
    "currency_id": {"fields": {}},
}


def log(message):
    print(f"[replica {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def figure(name, value):
    print(f"{name}: {value}", flush=True)


# ----------------------------------------------------------------------
# PostgreSQL: the primary, the replica cluster, and what is undone at the end
# ----------------------------------------------------------------------


def as_postgres(command):
    """``command`` as the operating-system user that runs PostgreSQL (the
    server refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def write_as_postgres(path, text, append=False):
    """Write (or append) ``text`` to ``path`` in the replica's folder, as
    its owner."""
    redirect = ">>" if append else ">"
    subprocess.run(
        as_postgres(["sh", "-c", f'cat {redirect} "$1"', "sh", path]),
        input=text,
        text=True,
        check=True,
    )


def run_checked(command, log_path=None):
    """Run ``command``; on failure, raise with what it (and ``log_path``) said."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        said = result.stderr.strip() or result.stdout.strip()
        if log_path and os.path.exists(log_path):
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                said += "\n" + "".join(handle.readlines()[-20:])
        raise RuntimeError(f"{os.path.basename(command[-1])}: {said}")


def psql(sql, database, port=None, check=True):
    """One value (or rows, tab-separated) of ``sql`` as the current role."""
    command = ["psql", "-XtAq", "-h", SOCKET_DIR, "-d", database, "-c", sql]
    if port:
        command[1:1] = ["-p", str(port)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode:
        raise RuntimeError(f"psql: {result.stderr.strip()}")
    return result.stdout.strip()


def free_port(start):
    """A TCP port nothing listens on, from ``start``, whose PostgreSQL
    socket file does not exist either."""
    for port in range(start, start + 200):
        if os.path.exists(os.path.join(SOCKET_DIR, f".s.PGSQL.{port}")):
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port from {start}")


class State:
    """What a run started or changed, on disk (ES_BENCH_REPLICA_STATE), so
    that ``replica.py cleanup`` undoes it even if the bench was killed."""

    def __init__(self, path):
        self.path = path
        self.values = {}

    def set(self, **values):
        self.values.update(values)
        if self.path:
            with open(self.path, "w", encoding="utf-8") as handle:
                json.dump(self.values, handle)

    def done(self):
        if self.path and os.path.exists(self.path):
            os.unlink(self.path)


def cleanup(values):
    """Stop and remove what ``values`` (a State's) records; each step on its
    own, so that one failing does not keep the others from running."""
    for key in ("odoo_pid", "writer_pid"):
        pid = values.get(key)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    if values.get("data") and os.path.exists(os.path.join(values["data"], "postmaster.pid")):
        subprocess.run(
            as_postgres(
                [
                    os.path.join(values["bin"], "pg_ctl"),
                    "-D",
                    values["data"],
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ]
            ),
            capture_output=True,
            check=False,
        )
    if values.get("slot"):  # once the replica is stopped: the primary keeps no WAL for it
        for _attempt in range(40):  # its WAL sender may take a moment to leave
            left = psql(
                f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                f"WHERE slot_name = '{values['slot']}' AND NOT active; "
                f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{values['slot']}'",
                values["database"],
                check=False,
            )
            if left.endswith("0"):
                break
            time.sleep(0.5)
        else:
            log(f"replication slot {values['slot']} left on the primary: drop it")
    if values.get("folder"):
        shutil.rmtree(values["folder"], ignore_errors=True)
    if values.get("hba_file") and values.get("hba_backup") is not None:
        with open(values["hba_file"], "w", encoding="utf-8") as handle:
            handle.write(values["hba_backup"])
        psql("SELECT pg_reload_conf()", values["database"], check=False)
        log("pg_hba.conf of the primary put back as it was")


def primary_settings(database):
    names = (
        "server_version_num",
        "port",
        "wal_level",
        "max_wal_senders",
        "hba_file",
        "max_connections",
        "max_worker_processes",
        "max_prepared_transactions",
        "max_locks_per_transaction",
    )
    rows = psql(
        "SELECT name, setting FROM pg_settings WHERE name IN ({})".format(
            ", ".join(f"'{name}'" for name in names)
        ),
        database,
    )
    return dict(line.split("|", 1) for line in rows.splitlines())


def postgres_bin(version_num):
    folder = f"/usr/lib/postgresql/{int(version_num) // 10000}/bin"
    if os.path.exists(os.path.join(folder, "pg_ctl")):
        return folder
    return subprocess.run(
        ["pg_config", "--bindir"], capture_output=True, text=True, check=True
    ).stdout.strip()


def allow_replication(database, settings, state):
    """The primary must stream WAL (wal_level replica, WAL senders: the
    defaults since PostgreSQL 10; changing them needs a restart, which the
    bench does not do to a shared server) and let the ``postgres`` user
    replicate over the local socket (pg_hba.conf: added if missing, put
    back at the end)."""
    if settings["wal_level"] == "minimal" or int(settings["max_wal_senders"]) < 1:
        raise RuntimeError(
            f"the primary does not stream WAL (wal_level={settings['wal_level']}, "
            f"max_wal_senders={settings['max_wal_senders']}): set wal_level = replica "
            "and max_wal_senders = 10, and restart PostgreSQL"
        )
    # The first local rule for replication connections decides (a rule for
    # "all" databases does not cover replication).
    rules = psql(
        "SELECT user_name, auth_method FROM pg_hba_file_rules "
        "WHERE type = 'local' AND 'replication' = ANY(database) ORDER BY line_number",
        database,
    )
    for line in rules.splitlines():
        users, method = line.split("|")
        if "all" in users or "postgres" in users:
            if method in ("peer", "trust"):
                return
            break
    hba_file = settings["hba_file"]
    with open(hba_file, encoding="utf-8") as handle:
        original = handle.read()
    state.set(hba_file=hba_file, hba_backup=original)
    with open(hba_file, "w", encoding="utf-8") as handle:
        handle.write("local replication postgres peer  # everyone-sells bench, removed after\n")
        handle.write(original)
    psql("SELECT pg_reload_conf()", database)
    log(f"replication allowed for postgres over the local socket ({hba_file})")


def start_replica(database, settings, state):
    """A hot standby of the primary in a temporary folder: returns its port."""
    binaries = postgres_bin(settings["server_version_num"])
    state.set(bin=binaries, database=database)
    allow_replication(database, settings, state)
    folder = tempfile.mkdtemp(prefix="everyone-sells-replica.")
    state.set(folder=folder)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    os.chmod(folder, 0o700)
    data = os.path.join(folder, "data")
    port = int(os.environ.get("ES_BENCH_REPLICA_PORT") or free_port(int(settings["port"]) + 1000))
    # A replication slot keeps on the primary the WAL written from the backup
    # on until the replica has it (a busy primary removes it otherwise);
    # dropped at the end.
    slot = f"everyone_sells_replica_{os.getpid()}"
    state.set(slot=slot)
    started = time.perf_counter()
    run_checked(
        as_postgres(
            [
                os.path.join(binaries, "pg_basebackup"),
                "-D",
                data,
                "-R",
                "-C",
                "-S",
                slot,
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                SOCKET_DIR,
                "-p",
                settings["port"],
                "-U",
                "postgres",
            ]
        )
    )
    figure("replica_basebackup_seconds", f"{time.perf_counter() - started:.1f}")
    state.set(data=data)
    # Debian keeps the configuration outside the data folder: the replica
    # gets files of its own. postgresql.auto.conf is read last (pg_basebackup
    # -R wrote primary_conninfo there).
    for name, text in (
        ("postgresql.conf", ""),
        ("pg_hba.conf", "local all all peer\nlocal replication all peer\n"),
        ("pg_ident.conf", ""),
    ):
        path = os.path.join(data, name)
        if not os.path.exists(path):
            write_as_postgres(path, text)
    preload = os.path.exists(os.path.join(binaries, "..", "lib", "pg_stat_statements.so"))
    overrides = {
        "port": port,
        "listen_addresses": "''",
        "unix_socket_directories": f"'{SOCKET_DIR}'",
        "hba_file": f"'{os.path.join(data, 'pg_hba.conf')}'",
        "ident_file": f"'{os.path.join(data, 'pg_ident.conf')}'",
        "hot_standby": "on",
        # Long reads are not cancelled by the primary's cleanup.
        "hot_standby_feedback": "on",
        "ssl": "off",
        "logging_collector": "off",
        "cluster_name": "'everyone-sells-replica'",
        # A hot standby needs at least the primary's.
        **{
            name: settings[name]
            for name in (
                "max_connections",
                "max_worker_processes",
                "max_prepared_transactions",
                "max_locks_per_transaction",
                "max_wal_senders",
            )
        },
    }
    if preload:
        overrides.update(
            {
                "shared_preload_libraries": "'pg_stat_statements'",
                "pg_stat_statements.max": 10000,
                # Odoo counts the statements it sends, not BEGIN/COMMIT.
                "pg_stat_statements.track_utility": "off",
            }
        )
    lines = "".join(f"{name} = {value}\n" for name, value in overrides.items())
    write_as_postgres(os.path.join(data, "postgresql.auto.conf"), lines, append=True)
    server_log = os.path.join(folder, "replica.log")
    run_checked(
        as_postgres(
            [os.path.join(binaries, "pg_ctl"), "-D", data, "-l", server_log, "-w", "start"]
        ),
        server_log,
    )
    deadline = time.time() + 120
    while psql("SELECT pg_is_in_recovery()", database, port=port, check=False) != "t":
        if time.time() > deadline:
            raise RuntimeError("the replica did not accept connections")
        time.sleep(0.5)
    log(f"replica on port {port} ({data})")
    return port, preload


def wait_replayed(database, port, timeout=120):
    """Until the replica has replayed everything the primary wrote so far."""
    target = psql("SELECT pg_current_wal_lsn()", database)
    deadline = time.time() + timeout
    while True:
        caught_up = psql(
            f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn", database, port=port
        )
        if caught_up == "t":
            return
        if time.time() > deadline:
            raise RuntimeError("the replica did not catch up")
        time.sleep(0.2)


class ReplicaQueries:
    """Statements the replica executed in the bench database, from its
    pg_stat_statements (these probes themselves left out)."""

    def __init__(self, database, port):
        self.database = database
        self.port = port
        # The extension's view is created on the primary (it replicates);
        # only the replica loads the library that fills it.
        psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database)
        wait_replayed(database, port)

    def count(self):
        return int(
            psql(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT ILIKE '%pg_stat_statements%'",
                self.database,
                port=self.port,
            )
        )


def replay_lag_ms(database):
    value = psql(
        "SELECT coalesce(max(extract(epoch FROM replay_lag)) * 1000, 0) "
        "FROM pg_stat_replication WHERE application_name = 'everyone-sells-replica'",
        database,
        check=False,
    )
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


# ----------------------------------------------------------------------
# The Odoo HTTP server and its clients
# ----------------------------------------------------------------------


class OdooServer:
    def __init__(self, config_path, database, replica_port, state):
        import odoo  # noqa: PLC0415 - not needed by ``replica.py cleanup``

        self.folder = tempfile.mkdtemp(prefix="everyone-sells-replica-odoo.")
        self.logfile = os.path.join(self.folder, "odoo.log")
        self.port = int(os.environ.get("ES_BENCH_HTTP_PORT") or free_port(18069))
        odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
        self.process = subprocess.Popen(
            [
                sys.executable,
                odoo_bin,
                "-c",
                config_path,
                "-d",
                database,
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(self.port),
                "--workers",
                "0",
                "--max-cron-threads",
                "0",
                "--db_replica_host",
                SOCKET_DIR,
                "--db_replica_port",
                str(replica_port),
                "--log-level",
                "warn",
                # Odoo's request lines: queries and cursor mode of each request.
                "--log-handler",
                "werkzeug:INFO",
                "--logfile",
                self.logfile,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        state.set(odoo_pid=self.process.pid)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 180
        import requests  # noqa: PLC0415

        while True:
            try:
                if requests.get(f"{self.url}/web/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"Odoo's HTTP server did not start (log: {self.logfile})")
            time.sleep(0.5)
        log(f"Odoo on port {self.port}, replica on port {replica_port}")

    def offset(self):
        return os.path.getsize(self.logfile)

    def lines(self, start, end):
        with open(self.logfile, encoding="utf-8", errors="replace") as handle:
            handle.seek(start)
            return handle.read(end - start).splitlines()

    def stop(self, state):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        state.set(odoo_pid=None)
        shutil.rmtree(self.folder, ignore_errors=True)


class Client:
    """One person's browser session: JSON-RPC as the web client sends it."""

    def __init__(self, server, database, login, company_id):
        import requests  # noqa: PLC0415

        self.url = server.url
        self.session = requests.Session()
        self.login = login
        result = self.rpc(
            "/web/session/authenticate",
            {"db": database, "login": login, "password": PASSWORD},
        )
        self.uid = result["uid"]
        self.context = {**result["user_context"], "allowed_company_ids": [company_id]}
        self.recorded = None  # [(model, method, args, kwargs, result)] when recording

    def rpc(self, path, params):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=300,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            error = body["error"].get("data", {}).get("message") or body["error"]
            raise RuntimeError(f"{self.login} {path}: {error}")
        return body["result"]

    def call(self, model, method, args, kwargs=None, context=None):
        kwargs = dict(kwargs or {}, context={**self.context, **(context or {})})
        result = self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )
        if self.recorded is not None:
            self.recorded.append((model, method, args, kwargs, result))
        return result

    def open_action(self, xmlid, view_types):
        """The action, then its views (what the web client loads before the
        data)."""
        action = self.rpc("/web/action/load", {"action_id": xmlid, "context": self.context})
        views = [[view_id, kind] for view_id, kind in action["views"] if kind in view_types]
        views.append([action.get("search_view_id") and action["search_view_id"][0], "search"])
        self.rpc(
            f"/web/dataset/call_kw/{action['res_model']}/get_views",
            {
                "model": action["res_model"],
                "method": "get_views",
                "args": [],
                "kwargs": {
                    "views": views,
                    "options": {"action_id": action["id"], "load_filters": True, "toolbar": True},
                    "context": self.context,
                },
            },
        )
        return action


# Each screen as the web client opens it: the action and its views, then
# the data calls of its default view.


def screen_home(client, manager):
    client.open_action("crm_everyone_sells.crm_everyone_sells_home_action_window", ("form",))
    client.call("crm.everyone.sells.home", "onchange", [[], {}, [], HOME_SPEC])


def screen_my_contributions(client, manager):
    client.open_action(
        "crm_everyone_sells.crm_contribution_action_my", ("list", "kanban", "graph", "form")
    )
    domain = [("is_mine", "=", True)]
    groups = client.call(
        "crm.contribution",
        "web_read_group",
        [domain, ["amount:sum", "points:sum"], ["date:month"]],
        {"limit": 80, "lazy": True},
    )["groups"]
    if groups:  # the first month opened
        client.call(
            "crm.contribution",
            "web_search_read",
            [groups[0]["__domain"], LEDGER_SPEC],
            {"limit": 80, "count_limit": 10_001},
        )


def screen_my_signals(client, manager):
    client.open_action(
        "crm_everyone_sells.crm_signal_action_my", ("kanban", "list", "form", "activity")
    )
    context = {"everyone_sells_workflow_columns": True}
    domain = [("employee_id.user_id", "=", client.uid)]
    groups = client.call(
        "crm.signal",
        "web_read_group",
        [domain, ["estimated_revenue:sum"], ["state"]],
        {"lazy": True},
        context=context,
    )["groups"]
    for group in groups:  # each column's first cards
        if group.get("state_count") or group.get("__count"):
            client.call(
                "crm.signal",
                "web_search_read",
                [group["__domain"], SIGNAL_SPEC],
                {"limit": 40},
                context=context,
            )


def screen_analysis(client, manager):
    if not manager:  # Reporting is a manager's menu
        return
    from large import PIVOT_GROUPBYS  # noqa: PLC0415 - bench/large.py, beside this file

    client.open_action(
        "crm_everyone_sells.crm_contribution_action_analysis", ("pivot", "graph", "list")
    )
    for groupby in PIVOT_GROUPBYS:
        client.call(
            "crm.contribution.analysis",
            "read_group",
            [[], ["amount:sum", "points:sum", "__count"], groupby],
            {"lazy": False},
        )


def screen_evaluation(client, manager):
    from large import PIVOT_GROUPBYS  # noqa: PLC0415

    from odoo.addons.crm_everyone_sells.models.crm_contribution_evaluation_report import (  # noqa: PLC0415
        SUMS,
    )

    year = datetime.date.today().replace(month=1, day=1).isoformat()
    if manager:  # Department Evaluation: departments, then their employees
        client.open_action(
            "crm_everyone_sells.crm_contribution_evaluation_report_action_department",
            ("list", "pivot"),
        )
        client.call(
            "crm.contribution.evaluation.report",
            "web_read_group",
            [[("date", ">=", year)], list(SUMS), ["department_id", "employee_id"]],
            {"limit": 500, "lazy": True},
        )
        return
    # An employee's My Evaluation: the pivot's four reads.
    client.open_action(
        "crm_everyone_sells.crm_contribution_evaluation_report_action", ("pivot", "list")
    )
    domain = [("employee_id.user_id", "=", client.uid), ("date", ">=", year)]
    for groupby in PIVOT_GROUPBYS:
        client.call(
            "crm.contribution.evaluation.report",
            "read_group",
            [domain, [*SUMS, "__count"], groupby],
            {"lazy": False},
        )


SCREEN_CALLS = {
    "home": screen_home,
    "my_contributions": screen_my_contributions,
    "my_signals": screen_my_signals,
    "analysis": screen_analysis,
    "evaluation": screen_evaluation,
}


# ----------------------------------------------------------------------
# The writer: deals won and credited on the primary, batch after batch
# ----------------------------------------------------------------------


def writer_main(argv):
    """``replica.py writer``: wins ``--leads`` (a file of ids) ``--batch``
    at a time and runs the crediting job on them, one transaction each, as
    the cron does, until ``--stop`` exists or no lead is left; prints
    ``deals N``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--leads", required=True)
    parser.add_argument("--stage", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--stop", required=True)
    args = parser.parse_args(argv)
    import odoo  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", args.config, "-d", args.database])
    with open(args.leads, encoding="utf-8") as handle:
        lead_ids = json.load(handle)
    registry = odoo.modules.registry.Registry(args.database)
    with open(args.ready, "w", encoding="utf-8") as handle:
        handle.write("ready")
    deals = 0
    context = {"tracking_disable": True, "mail_notrack": True}
    while lead_ids and not os.path.exists(args.stop):
        batch, lead_ids = lead_ids[: args.batch], lead_ids[args.batch :]
        with registry.cursor() as cr:  # the deals won (they note themselves)
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, context)
            env["crm.lead"].browse(batch).write({"stage_id": args.stage})
        with registry.cursor() as cr:  # the crediting job's run
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            done, _remaining = env["crm.contribution.queue"]._process(limit=args.batch)
        deals += done
        print(f"deals {deals}", flush=True)


class Writer:
    def __init__(self, large, config_path, database, state):
        self.folder = tempfile.mkdtemp(prefix="everyone-sells-replica-writer.")
        # Deals enough for the whole run: a batch a transaction, written
        # until the screens are done.
        self.batch = max(10, large.crediting_batch // 4)
        count = max(400, large.crediting_n * 4)
        self.lead_ids = large._leads(count, offset=large.opportunities_n * 2)
        leads = os.path.join(self.folder, "leads.json")
        with open(leads, "w", encoding="utf-8") as handle:
            json.dump(self.lead_ids, handle)
        self.ready = os.path.join(self.folder, "ready")
        self.stop_file = os.path.join(self.folder, "stop")
        self.args = [
            sys.executable,
            os.path.abspath(__file__),
            "writer",
            "--config",
            config_path,
            "--database",
            database,
            "--leads",
            leads,
            "--stage",
            str(large.stage_won.id),
            "--batch",
            str(self.batch),
            "--ready",
            self.ready,
            "--stop",
            self.stop_file,
        ]
        self.state = state
        self.process = None
        self.output = ""

    def start(self):
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        self.state.set(writer_pid=self.process.pid)
        deadline = time.time() + 300
        while not os.path.exists(self.ready):
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError("the writer did not start")
            time.sleep(0.1)

    def busy(self):
        return self.process.poll() is None

    def stop(self):
        with open(self.stop_file, "w", encoding="utf-8") as handle:
            handle.write("stop")
        try:
            self.output = self.process.communicate(timeout=600)[0]
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.output = self.process.communicate()[0]
        self.state.set(writer_pid=None)
        shutil.rmtree(self.folder, ignore_errors=True)
        deals = [
            int(line.split()[1]) for line in self.output.splitlines() if line.startswith("deals ")
        ]
        return deals[-1] if deals else 0


# ----------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------


def users(large):
    """The large profile's employee, ``EMPLOYEES - 1`` more employees with
    credits (accounts made for them) and its manager, each with a password."""
    env = large.quiet
    employee_user = large.user
    large.cr.execute(
        """
        SELECT c.employee_id FROM crm_contribution c
          JOIN hr_employee e ON e.id = c.employee_id
         WHERE c.company_id = %s AND e.user_id IS NULL
         GROUP BY c.employee_id ORDER BY count(*) DESC, c.employee_id LIMIT %s
        """,
        [large.company.id, EMPLOYEES - 1],
    )
    employees = env["hr.employee"].browse([row[0] for row in large.cr.fetchall()])
    group_user = env.ref("base.group_user")
    from odoo import Command  # noqa: PLC0415

    people = employee_user
    for index, employee in enumerate(employees):
        user = env["res.users"].create(
            {
                "name": employee.name,
                "login": f"large_replica_{index}",
                "company_id": large.company.id,
                "company_ids": [Command.set(large.company.ids)],
                "groups_id": [Command.set(group_user.ids)],
                "tz": "Asia/Tokyo",
            }
        )
        employee.user_id = user
        people |= user
    for user in people | large.manager:
        user.password = PASSWORD
    env.flush_all()
    large.cr.commit()
    return people, large.manager


def record_results(clients, manager_client, screen):
    """Each client's data calls of ``screen``, recorded."""
    calls = []
    for client in clients:
        client.recorded = []
        SCREEN_CALLS[screen](client, client is manager_client)
        calls.extend((client.uid, *call) for call in client.recorded)
        client.recorded = None
    return calls


def same_on_primary(large, calls):
    """How many of ``calls`` (made over HTTP, read on the replica) give
    another result when made on the primary, as the same user."""
    import odoo  # noqa: PLC0415
    from odoo.tools.json import json_default  # noqa: PLC0415

    mismatches = 0
    with large.env.registry.cursor() as cr:
        for uid, model, method, args, kwargs, result in calls:
            env = odoo.api.Environment(cr, uid, {})
            expected = odoo.api.call_kw(env[model], method, json.loads(json.dumps(args)), kwargs)
            expected = json.loads(json.dumps(expected, default=json_default))
            if expected != result:
                mismatches += 1
                log(f"different on the primary: {model}.{method} as user {uid}")
            env.invalidate_all()
        cr.rollback()
    return mismatches


def run(large, config_path, database):
    state = State(os.environ.get("ES_BENCH_REPLICA_STATE"))
    server = writer = None
    previous_term = signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    try:
        employees, manager = users(large)
        writer = Writer(large, config_path, database, state)
        settings = primary_settings(database)
        replica_port, preload = start_replica(database, settings, state)
        if not preload:
            raise RuntimeError("pg_stat_statements is not available to count the replica's queries")
        counter = ReplicaQueries(database, replica_port)
        server = OdooServer(config_path, database, replica_port, state)
        clients = [
            Client(server, database, user.login, large.company.id) for user in (*employees, manager)
        ]
        manager_client = clients[-1]
        wait_replayed(database, replica_port)  # the logins' writes
        for screen in SCREENS:  # warm: registry, views, caches
            for client in clients:
                SCREEN_CALLS[screen](client, client is manager_client)
        log(
            f"screens as {len(clients) - 1} employees and a manager, while the crediting job writes"
        )
        writer.start()
        shares = {}
        retries = fallbacks = requests_count = 0
        lag = 0.0
        for screen in SCREENS:
            replica_before, log_before = counter.count(), server.offset()
            for _round in range(ROUNDS):
                for client in clients:
                    SCREEN_CALLS[screen](client, client is manager_client)
            log_after = server.offset()
            replica_queries = counter.count() - replica_before
            lag = max(lag, replay_lag_ms(database))
            queries = 0
            for line in server.lines(log_before, log_after):
                request = REQUEST_LINE.search(line)
                if request:
                    requests_count += 1
                    queries += int(request["queries"])
                    retries += request["mode"] == "ro->rw"
                fallbacks += FALLBACK_WARNING in line
            shares[screen] = replica_queries / queries if queries else 0.0
            log(f"{screen}: {replica_queries} of {queries} queries on the replica")
        busy = writer.busy()
        deals = writer.stop()
        for screen in SCREENS:
            figure(f"replica_share_{screen}", f"{shares[screen]:.3f}")
        figure("replica_rw_retries", retries)
        figure("replica_fallbacks", fallbacks)
        figure("replica_requests", requests_count)
        figure("replica_writer_deals", deals)
        figure("replica_writer_busy_to_end", int(busy))
        figure("replica_replay_lag_max_ms", f"{lag:.0f}")
        # The screens' contents: the same read on the replica and on the
        # primary, once the replica replayed every write.
        wait_replayed(database, replica_port)
        calls = []
        for screen in SCREENS:
            calls.extend(record_results(clients, manager_client, screen))
        figure("replica_contents_compared", len(calls))
        figure("replica_contents_mismatches", same_on_primary(large, calls))
        warnings = [line for line in server.lines(0, server.offset()) if RETRY_WARNING in line]
        if warnings:
            log(f"Odoo retried on the primary: {warnings[:3]}")
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if writer and writer.process and writer.busy():
            writer.stop()
        if writer:
            shutil.rmtree(writer.folder, ignore_errors=True)
        if server:
            server.stop(state)
        cleanup(state.values)
        state.done()
        log("replica stopped and removed")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "writer":
        writer_main(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "cleanup":
        with open(sys.argv[2], encoding="utf-8") as handle:
            cleanup(json.load(handle))
        os.unlink(sys.argv[2])
    else:
        sys.exit(f"usage: {sys.argv[0]} writer … | cleanup STATE (run by bench/bench.py --replica)")


if __name__ == "__main__":
    main()
