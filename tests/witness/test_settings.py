"""harm.yaml's witness: defaults, mistakes refused with a message."""

from __future__ import annotations

import pytest

from harm.errors import SettingsError
from harm.membership.settings import WitnessSettings, parse_yaml
from harm.witness.link import client_params

BASE = "cluster: c\nnode: a\nnodes: [a, b]\nlinks: [{bcast: eth0}]\nkeepalive: 200ms\n" \
       "deadtime: 2s\n"


def test_defaults_follow_deadtime_and_keepalive() -> None:
    settings = parse_yaml(BASE + "witness: {address: 10.0.0.9}\n")
    assert settings.witness == WitnessSettings("10.0.0.9", 6940, 2000, 2000)
    params = client_params(settings, generation=5)
    assert (params.lease_ms, params.margin_ms, params.renew_ms, params.wait_ms,
            params.defer_ms) == (2000, 2000, 200, 400, 800)


@pytest.mark.parametrize("text, message", [
    ("witness: {address: 10.0.0.9}\ntwo_node: true\n", "two_node and witness exclude"),
    ("witness: {address: nowhere}\n", "witness.address: not an IPv4 address"),
    ("witness: {address: 10.0.0.9, lease: 2m}\n", "at most 60s"),
    ("witness: {address: 10.0.0.9, colour: red}\n", "unknown key(s) colour"),
    ("witness: 10.0.0.9\n", "expected a mapping"),
])
def test_mistakes_are_refused(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_yaml(BASE + text, "harm.yaml")
