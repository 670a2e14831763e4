"""The seed report's configuration, as printed and with its two slips corrected."""

from __future__ import annotations

from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "configs" / "seed-crm_conf.txt"


def seed_text() -> str:
    return SEED.read_text()


def corrected_seed_text() -> str:
    """Fix exactly the two slips: the agent's spelling and the backslash before 'clone'."""
    text = seed_text().replace("ocf:heartbeat:IPAddr2", "ocf:heartbeat:IPaddr2")
    glued = 'host_list="192.168.10.100" \\  \nclone'
    assert glued in text
    return text.replace(glued, 'host_list="192.168.10.100"\nclone')
