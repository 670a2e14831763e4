"""``harm witness``: run the tie-breaker service in the foreground (see
:mod:`harm.witness.service`). Also ``python -m harm.witness`` with the same options."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from harm.cib.durations import parse_ms
from harm.errors import SettingsError
from harm.membership import authkeys
from harm.membership.settings import NAME_RE
from harm.witness.lease import Arbiter
from harm.witness.service import DEFAULT_PORT, WitnessCore, monotonic_ms, serve


def _ms(name: str, text: str) -> int:
    try:
        return parse_ms(text)
    except ValueError:
        raise SettingsError(f"--{name}: not a duration: {text!r} (write e.g. 500ms, 2s)") from None


@click.command("witness")
@click.option("--cluster", required=True, help="the cluster's name (as in harm.yaml)")
@click.option("--authkeys", "keys_path", required=True, type=click.Path(dir_okay=False),
              help="the cluster's authkeys (root-owned, mode 0600)")
@click.option("--listen", default="", help="address to listen on (default: all)")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--min-margin", default="0s", show_default=True,
              help="never give the vote elsewhere sooner than this after a lease ended "
              "(the nodes ask for their own margin; this is a floor)")
@click.option("--max-lease", default="30s", show_default=True,
              help="the longest lease granted (longer asks get this)")
@click.option("--max-margin", default="30s", show_default=True,
              help="the longest margin honoured")
@click.option("--quiet", default=None,
              help="refuse every ask for this long after start, since it forgot whom it "
              "gave its vote to (default: max-lease + max-margin)")
def command(cluster: str, keys_path: str, listen: str, port: int, min_margin: str,
            max_lease: str, max_margin: str, quiet: str | None) -> None:
    """The tie-breaker: gives one quorum vote to one partition of the cluster at a time."""
    if not NAME_RE.match(cluster):
        raise SettingsError(f"--cluster: not a valid name: {cluster!r}")
    keys = authkeys.load(Path(keys_path))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s harm-witness: %(message)s")
    now = monotonic_ms()
    lease_ms, margin_ms = _ms("max-lease", max_lease), _ms("max-margin", max_margin)
    quiet_ms = lease_ms + margin_ms if quiet is None else _ms("quiet", quiet)
    if quiet_ms < lease_ms + margin_ms:
        raise SettingsError(f"--quiet {quiet}: must be at least max-lease + max-margin "
                            "(a restarted witness must outwait any lease it granted)")
    arbiter = Arbiter(min_margin_ms=_ms("min-margin", min_margin), quiet_until=now + quiet_ms,
                      max_lease_ms=lease_ms, max_margin_ms=margin_ms)
    log = logging.getLogger("harm.witness")
    log.info("quiet for %dms after start; leases up to %dms, margins up to %dms", quiet_ms,
             lease_ms, margin_ms)
    serve(WitnessCore(cluster, keys, arbiter), listen, port)
