#!/usr/bin/env python3
"""Fault injection against the release binary: `kill -9` under write load and during imports.

    scripts/fault-inject.py [--postgres URL] [--rounds 10] [--import-rounds 5] [--clients 8]
                            [--seconds 600] [--outage]

Each write round starts the server, runs CLIENTS concurrent clients that publish news items
through the API (an item counts as acknowledged once its 201 arrived), kills the server with
SIGKILL at a random moment, restarts it and checks that every acknowledged item is there. Each
import round kills `poles import cordis` at a random moment on a database of its own and checks
that the import left all or nothing. After the rounds: the database's own integrity check
(SQLite `integrity_check` and `foreign_key_check`; PostgreSQL `amcheck` on every B-tree index)
and `poles audit verify`.

`--outage` (PostgreSQL on this machine only; it stops the local server with pg_ctlcluster, so
run it alone) measures the time from the stop to the first 503 and the slowest refusal, then the
time from the restart to the first 200 — without restarting Pôles.

Standard library only. Bounded by --seconds; prints the figures at the end and exits non-zero
on any lost write, half import or failed check.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "fault injection passphrase 2026"
ADMIN = "fault-admin@test.invalid"
SOURCE = "fault-injection"


def say(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend:
    """A database of its own for one phase: a SQLite file or a new PostgreSQL database."""

    def __init__(self, pg_admin, workdir, name):
        self.pg_admin = pg_admin
        if pg_admin:
            self.name = f"poles_fault_{os.getpid()}_{name}"
            psql(pg_admin, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            psql(pg_admin, f"CREATE DATABASE {self.name}")
            self.url = pg_admin.rsplit("/", 1)[0] + "/" + self.name
        else:
            self.path = os.path.join(workdir, f"{name}.db")
            self.url = "sqlite://" + self.path

    def query(self, sql):
        """Rows of one query, as lists of strings."""
        if self.pg_admin:
            out = subprocess.run(["psql", self.url, "-AtXq", "-F", "\t", "-c", sql],
                                 check=True, capture_output=True, text=True).stdout
            return [line.split("\t") for line in out.splitlines() if line]
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return [[str(v) for v in row] for row in con.execute(sql).fetchall()]
        finally:
            con.close()

    def integrity(self):
        """The database's own check; returns a list of problems (empty when sound)."""
        if self.pg_admin:
            psql(self.url, "CREATE EXTENSION IF NOT EXISTS amcheck")
            rows = self.query(
                "SELECT COUNT(bt_index_check(c.oid)) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                "WHERE am.amname = 'btree' AND c.relnamespace = 'public'::regnamespace")
            say(f"amcheck: {rows[0][0]} B-tree indexes checked")
            return []
        problems = [r[0] for r in self.query("PRAGMA integrity_check") if r[0] != "ok"]
        problems += ["foreign key: " + " ".join(r) for r in self.query("PRAGMA foreign_key_check")]
        return problems

    def drop(self):
        if self.pg_admin:
            psql(self.pg_admin, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def psql(url, sql):
    subprocess.run(["psql", url, "-qX", "-c", sql], check=True, capture_output=True)


class Poles:
    def __init__(self, binary, backend, workdir):
        self.binary, self.backend, self.workdir = binary, backend, workdir
        self.env = dict(os.environ, POLES_DATABASE_URL=backend.url, RUST_LOG="warn")
        # One audit key for every start, as several servers share it through their environment.
        self.env.setdefault("POLES_AUDIT_KEY", "fault:" + "5a" * 32)
        self.proc = None
        self.port = None

    def run(self, *args, stdin=None, timeout=600):
        return subprocess.run([self.binary, *args], env=self.env, input=stdin, text=True,
                              capture_output=True, timeout=timeout, cwd=self.workdir)

    def start(self, demo=True):
        self.port = free_port()
        args = [self.binary, "serve", "--bind", f"127.0.0.1:{self.port}"]
        if not demo:
            args.append("--no-demo")
        log = open(os.path.join(self.workdir, "server.log"), "a")
        self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=log, cwd=self.workdir)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 300:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see server.log")
            try:
                if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return time.monotonic() - t0
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not become healthy in 300 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if data else {}
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def sign_in(port):
    status, headers, body = request(port, "POST", "/api/v1/session",
                                    {"email": ADMIN, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"sign-in refused: {status} {body[:200]!r}")
    cookie = next(v for k, v in headers if k.lower() == "set-cookie").split(";")[0]
    return {"Cookie": cookie, "X-CSRF-Token": json.loads(body)["csrf_token"]}


def write_round(poles, n, clients, acked, lock):
    poles.start()
    auth = sign_in(poles.port)
    stop = threading.Event()

    def client(c):
        k = 0
        while not stop.is_set():
            title = f"fault {n}-{c}-{k}"
            k += 1
            try:
                status, _, _ = request(poles.port, "POST", "/api/v1/news",
                                       {"title_fr": title, "title_en": title, "source": SOURCE},
                                       auth)
            except OSError:
                return  # the server is gone: what was acknowledged is counted
            if status == 201:
                with lock:
                    acked.add(title)
            elif status != 429:
                stop.set()
                raise SystemExit(f"unexpected {status} while writing")

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.5, 2.5))
    poles.kill()
    stop.set()
    for t in threads:
        t.join()


def check_writes(backend, acked):
    stored = {r[0] for r in backend.query(f"SELECT title_fr FROM news WHERE source = '{SOURCE}'")}
    return sorted(acked - stored)


IMPORT_TABLES = ["organisations", "projects", "project_partners"]


def counts(backend):
    return {t: int(backend.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in IMPORT_TABLES}


def import_rounds(binary, pg_admin, workdir, rounds, deadline):
    """Kills `poles import cordis` at random moments on a fresh database; all or nothing."""
    backend = Backend(pg_admin, workdir, "import")
    poles = Poles(binary, backend, workdir)
    if poles.run("migrate").returncode != 0:
        raise SystemExit("migrate failed")
    empty = counts(backend)
    cordis = os.path.join(ROOT, "data", "cordis-h2020")
    t0 = time.monotonic()
    full_run = poles.run("import", "cordis", cordis)
    took = time.monotonic() - t0
    if full_run.returncode != 0:
        raise SystemExit("a whole import failed: " + full_run.stderr[-2000:])
    full = counts(backend)
    backend.drop()
    say(f"an uninterrupted import takes {took:.1f} s: {full}")
    half = 0
    done = 0
    for r in range(rounds):
        if time.monotonic() > deadline:
            break
        backend = Backend(pg_admin, workdir, f"import{r}")
        poles = Poles(binary, backend, workdir)
        poles.run("migrate")
        proc = subprocess.Popen([binary, "import", "cordis", cordis], env=poles.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.05, max(0.1, took * 0.95)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = counts(backend)
        state = "nothing" if after == empty else "all" if after == full else "HALF"
        say(f"import round {r + 1}: killed; the database holds {state} of the import {after}")
        if state == "HALF":
            half += 1
        problems = backend.integrity()
        verify = poles.run("audit", "verify")
        if problems or verify.returncode != 0:
            raise SystemExit(f"after a killed import: {problems} {verify.stdout} {verify.stderr}")
        backend.drop()
        done += 1
    return done, half


def outage(binary, pg_admin, workdir):
    """Stops the local PostgreSQL under a running server; times the 503s and the recovery."""
    version = sorted(os.listdir("/etc/postgresql"))[0]
    backend = Backend(pg_admin, workdir, "outage")
    poles = Poles(binary, backend, workdir)
    poles.start(demo=False)
    subprocess.run(["pg_ctlcluster", version, "main", "stop", "-m", "fast"], check=True)
    stopped = time.monotonic()
    first_503, slowest = None, 0.0
    for _ in range(10):
        t = time.monotonic()
        try:
            status, headers, _ = request(poles.port, "GET", "/api/v1/clusters", timeout=60)
        except OSError:
            status, headers = None, []
        took = time.monotonic() - t
        slowest = max(slowest, took)
        retry = any(k.lower() == "retry-after" for k, _ in headers)
        if status == 503 and retry and first_503 is None:
            first_503 = time.monotonic() - stopped
    subprocess.run(["pg_ctlcluster", version, "main", "start"], check=True)
    started = time.monotonic()
    recovered = None
    while time.monotonic() - started < 60:
        try:
            if request(poles.port, "GET", "/api/v1/clusters", timeout=10)[0] == 200:
                recovered = time.monotonic() - started
                break
        except OSError:
            pass
        time.sleep(0.1)
    poles.kill()
    backend.drop()
    return first_503, slowest, recovered


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="URL", help="postgres://postgres@127.0.0.1:5432/test")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--import-rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=600, help="time budget for the rounds")
    ap.add_argument("--outage", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "poles"))
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        say("building the release binary")
        subprocess.run(["cargo", "build", "--release", "--bin", "poles"], cwd=ROOT, check=True)
    deadline = time.monotonic() + args.seconds
    workdir = tempfile.mkdtemp(prefix="poles-fault-")
    backend_name = "PostgreSQL" if args.postgres else "SQLite"
    failed, clean = False, False
    try:
        backend = Backend(args.postgres, workdir, "writes")
        poles = Poles(args.binary, backend, workdir)
        took = poles.start()
        say(f"{backend_name}: demo loaded in {took:.1f} s")
        made = poles.run("admin", "create-user", "--email", ADMIN, "--role", "admin",
                         stdin=PASSWORD + "\n")
        if made.returncode != 0:
            raise SystemExit("create-user failed: " + made.stderr)
        poles.kill()
        acked, lock = set(), threading.Lock()
        rounds = 0
        for n in range(args.rounds):
            if time.monotonic() > deadline:
                break
            before = len(acked)
            write_round(poles, n, args.clients, acked, lock)
            rounds += 1
            say(f"write round {n + 1}: {len(acked) - before} acknowledged, then kill -9")
        poles.start()
        poles.kill()
        lost = check_writes(backend, acked)
        problems = backend.integrity()
        verify = poles.run("audit", "verify")
        say(f"writes: {rounds} kills, {len(acked)} acknowledged, {len(lost)} lost"
            + (f" (first: {lost[:5]})" if lost else ""))
        say("integrity: " + ("ok" if not problems else "; ".join(problems[:10])))
        say(f"audit verify: exit {verify.returncode} {verify.stdout.strip()[-300:]}"
            f"{verify.stderr.strip()[-300:]}")
        failed |= bool(lost) or bool(problems) or verify.returncode != 0
        backend.drop()

        done, half = import_rounds(args.binary, args.postgres, workdir, args.import_rounds, deadline)
        say(f"imports: {done} killed, {half} left half an import")
        failed |= half > 0

        if args.outage:
            if not args.postgres:
                raise SystemExit("--outage needs --postgres")
            first_503, slowest, recovered = outage(args.binary, args.postgres, workdir)
            say(f"outage: first 503 with Retry-After {first_503 and round(first_503, 2)} s after "
                f"the stop; slowest refusal {slowest:.2f} s; recovered {recovered and round(recovered, 2)} "
                "s after the restart, without restarting Pôles")
            failed |= first_503 is None or recovered is None or slowest > 6
        clean = not failed
    finally:
        if clean:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"kept {workdir} (server.log) for a look")
    print("FAILED" if failed else "PASSED", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
