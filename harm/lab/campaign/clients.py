"""The campaign's clients, run in the lab's gateway namespace (the clients' network).

    python -m harm.lab.campaign.clients writer --host VIP --log FILE
    python -m harm.lab.campaign.clients prober --host NODE=ADDR ... --log FILE

The **writer** inserts one row at a time through the service VIP, as an application with
a connection pool would (one connection, reconnected after an error), and logs every
commit the server acknowledged: ``{"id": N, "at": T}``. A write whose answer did not come
within ``--timeout`` seconds is abandoned by shutting its socket down (it is not logged:
it was not acknowledged). The **prober** asks every node directly, at its own address,
whether it accepts a write: an INSERT committed within the timeout is ``accepted``; a
refusal (a standby is read-only), no server, or no answer is not. Each probe is logged:
``{"at": T, "node": NAME, "accepted": BOOL, "detail": TEXT}``.

Both set ``client_connection_check_interval`` so that the server ends a backend whose
client went away (a write waiting for a synchronous standby that never comes back would
otherwise hold its connection for ever). Neither sets ``statement_timeout``: a cancelled
wait for the synchronous standby is reported to the client as a commit the standby may
not have (PostgreSQL's documented behaviour), and a client with a timeout would be told
"committed" for exactly the writes the campaign must catch.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harm.lab.campaign.model import Probe

WRITES_TABLE = "harm_campaign_writes"
PROBE_TABLE = "harm_campaign_probe"
CREATE_TABLES = (f"CREATE TABLE IF NOT EXISTS {WRITES_TABLE} (id bigint PRIMARY KEY, "
                 "at timestamptz NOT NULL DEFAULT now()); "
                 f"CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (node text, "
                 "at timestamptz NOT NULL DEFAULT now())")
OPTIONS = "-c client_connection_check_interval=1000"


def conninfo(host: str, connect_timeout: int = 1) -> str:
    return (f"host={host} port=5432 user=postgres dbname=postgres "
            f"connect_timeout={connect_timeout} options='{OPTIONS}'")


@contextmanager
def watchdog(fileno: int, timeout: float) -> Iterator[None]:
    """Shut the connection's socket down when the block takes longer than ``timeout``:
    the blocked libpq call returns with an error, the server sees the client leave."""
    done = threading.Event()

    def guard() -> None:
        if not done.wait(timeout):
            try:
                with socket.socket(fileno=os.dup(fileno)) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    thread = threading.Thread(target=guard, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _log(handle: Any, record: dict[str, Any]) -> None:
    handle.write(json.dumps(record) + "\n")
    handle.flush()


def write_loop(host: str, log: Path, start_id: int, interval: float, timeout: float) -> None:
    import psycopg

    next_id = start_id
    conn: psycopg.Connection[Any] | None = None
    with log.open("a", encoding="utf-8") as handle:
        while True:
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(conninfo(host), autocommit=True)
                with watchdog(conn.fileno(), timeout):
                    conn.execute(f"INSERT INTO {WRITES_TABLE} (id) VALUES (%s)", (next_id,))
                _log(handle, {"id": next_id, "at": time.time()})
            except psycopg.Error:
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(interval)
            next_id += 1  # an id is tried once: a retry could commit it twice
            time.sleep(interval)


def probe_once(node: str, host: str, timeout: float) -> Probe:
    import psycopg

    at = time.time()
    try:
        with psycopg.connect(conninfo(host), autocommit=True) as conn, \
                watchdog(conn.fileno(), timeout):
            conn.execute(f"INSERT INTO {PROBE_TABLE} (node) VALUES (%s)", (node,))
        return Probe(at, node, True)
    except psycopg.Error as error:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Probe(at, node, False, text[:120])


def probe_loop(targets: dict[str, str], log: Path, interval: float, timeout: float) -> None:
    lock = threading.Lock()
    with log.open("a", encoding="utf-8") as handle:
        def one(node: str, host: str) -> None:
            while True:
                probe = probe_once(node, host, timeout)
                with lock:
                    _log(handle, {"at": probe.at, "node": node, "accepted": probe.accepted,
                                  "detail": probe.detail})
                time.sleep(max(0.0, interval - (time.time() - probe.at)))
        threads = [threading.Thread(target=one, args=item, daemon=True)
                   for item in sorted(targets.items())]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# ---------------------------------------------------------------- reading the logs


def read_acknowledged(log: Path) -> dict[int, float]:
    """Every acknowledged write: id -> when."""
    found: dict[int, float] = {}
    for record in _records(log):
        if isinstance(record.get("id"), int):
            found[record["id"]] = float(record.get("at", 0.0))
    return found


def read_probes(log: Path, since: float = 0.0, until: float = float("inf")) -> list[Probe]:
    return [Probe(float(r["at"]), str(r["node"]), bool(r["accepted"]), str(r.get("detail", "")))
            for r in _records(log) if "node" in r and since <= float(r["at"]) <= until]


def _records(log: Path) -> Iterator[dict[str, Any]]:
    try:
        text = log.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the line being written
        if isinstance(record, dict):
            yield record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harm.lab.campaign.clients")
    sub = parser.add_subparsers(dest="role", required=True)
    writer = sub.add_parser("writer")
    writer.add_argument("--host", required=True)
    writer.add_argument("--start-id", type=int, default=1)
    prober = sub.add_parser("prober")
    prober.add_argument("--host", action="append", required=True, metavar="NODE=ADDR")
    for each in (writer, prober):
        each.add_argument("--log", type=Path, required=True)
        each.add_argument("--interval", type=float, default=0.1 if each is writer else 0.5)
        each.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.role == "writer":
        write_loop(args.host, args.log, args.start_id, args.interval, args.timeout)
    else:
        targets = dict(item.split("=", 1) for item in args.host)
        probe_loop(targets, args.log, args.interval, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
