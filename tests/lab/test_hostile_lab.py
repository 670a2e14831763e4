"""Issue 12's hostile inputs against a running three-node lab: every harmd survives them and
the cluster still acts.

Each input goes where it would come from in the field: heartbeats signed with the lab's key
broadcast on the service link (from the gateway namespace), controller messages through a
node's own stream (its control socket's ``send``, base64: the stream numbers them as harmd
does), and control requests written raw to the control sockets. Afterwards every harmd is
the same process, the drops are counted in its ``status``, and a configuration change is
carried out on every node.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harm.cib.config import AgentRef
from harm.cib.xml_import import parse_cib_xml
from harm.control.codec import request_to_json
from harm.control.wire import HEAD, MAGIC, Encoder
from harm.daemon.client import request
from harm.errors import ControlError
from harm.executor.request import OpRequest
from harm.lab import lab as lablib
from harm.lab.spec import LabSpec

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

LAB = "hstl"
NODES = ("h1", "h2", "h3")
DEEP_RULES = ('<rsc_location id="l-deep" rsc="x">'
              + "".join(f'<rule id="r{i}" score="1">' for i in range(3000))
              + '<expression id="e" attribute="a" operation="defined"/>'
              + "</rule>" * 3000 + "</rsc_location>")


def sock(spec: LabSpec, node: str) -> Path:
    return spec.node_dir(node) / "harmd.sock"


def ask(spec: LabSpec, node: str, kind: str, **args: Any) -> Any:
    return request(sock(spec, node), kind, timeout=5, **args)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (ControlError, OSError, KeyError) as error:
            last = error
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def settled(spec: LabSpec) -> bool:
    states = [ask(spec, n, "controller") for n in NODES]
    return len({s["dc"] for s in states}) == 1 and all(s["settled"] for s in states) and \
        len({tuple(s["version"][:2]) for s in states}) == 1


def raw_request(spec: LabSpec, node: str, line: bytes) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(str(sock(spec, node)))
        conn.sendall(line + b"\n")
        data = b""
        while chunk := conn.recv(1 << 16):
            data += chunk
    answer = json.loads(data)
    assert isinstance(answer, dict)
    return answer


@pytest.fixture(scope="module")
def spec() -> Iterator[LabSpec]:
    lablib.down(LAB)
    built = LabSpec(name=LAB, nodes=NODES, links=2).validate()
    try:
        lablib.up(built)
        lablib.wait_sockets(built, list(NODES))
        wait_for("the three nodes to settle", lambda: settled(built))
        yield built
    finally:
        lablib.down(LAB)


def heartbeats(spec: LabSpec, sender: str) -> dict[str, Any]:
    """Issue 12's heartbeats, signed as ``sender`` and broadcast to every node."""
    payloads = [b'{"b":Infinity,"a":{}}', b'{"b":4000000,"a":{}}',
                b'{"b":18446744073709551616,"a":{}}', b'{"b":1,"a":{"h1":[1e999,1]}}',
                b"[" * 3000 + b"]" * 3000, b'{"b":1,"a":{},"n":"\\ud800"}']
    st = ask(spec, sender, "status")
    done = subprocess.run(
        ["ip", "netns", "exec", spec.gateway_ns, sys.executable,
         str(Path(__file__).with_name("hostile.py")), spec.name,
         str(spec.node_dir(sender) / "authkeys"), sender, str(st["generation"]),
         str(st["sequence"] + 20), *(p.hex() for p in payloads)],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return {"sent": len(payloads)}


def frame(transfer: int, raw: bytes, count: int = 1) -> str:
    body = MAGIC + HEAD.pack(transfer, 0, count) + zlib.compress(raw)
    return base64.b64encode(body).decode()


def controller_messages(dc: str) -> list[str]:
    """Issue 12's cluster messages, as a node's controller would send them."""
    forged = OpRequest(rsc="evil", agent=AgentRef("ocf", "heartbeat", "anything"),
                       action="start", params=(("binfile", "/bin/sh"),))
    out = []
    for kind, payload in [
        ("op", {"request": request_to_json(forged)}),  # not the DC: ignored
        ("fail", {"rsc": "r", "action": "monitor", "interval_ms": 0, "rc": [1]}),
        ("request", {"id": "x:1:1", "op": "fail", "node": dc, "rsc": "r",
                     "interval_ms": "abc"}),
        ("request", {"id": "x:1:2", "op": "fail", "node": dc, "rsc": "r", "rc": [1]}),
        ("request", {"id": "x:1:3", "op": "commit", "xml": "<cib>\ud800</cib>",
                     "base": [0, 1]}),
        ("request", {"id": "x:1:4", "op": "commit", "base": [0, 1],
                     "xml": f"<cib><configuration><constraints>{DEEP_RULES}"
                            "</constraints></configuration></cib>"}),
        ("state", {"cib": f"<cib>{DEEP_RULES}</cib>", "result": None}),
    ]:
        for chunk in Encoder(7000 + len(out)).encode(kind, payload):
            out.append(base64.b64encode(chunk).decode())
    out.append(frame(8001, b'{"kind":"hello","members":' + b"[" * 3000 + b"]" * 3000 + b"}"))
    out.append(frame(8002, b'{"kind":"hello","members":[],"dc":null,"cib":NaN}'))
    out.append(frame(8003, b"x" * 100, count=65_535))
    return out


def control_lines(dc: str, base: list[int]) -> list[bytes]:
    deep_xml = (f'<cib admin_epoch="{base[0]}" epoch="{base[1]}"><configuration>'
                f"<constraints>{DEEP_RULES}</constraints></configuration></cib>")
    return [
        json.dumps({"type": "cluster-op", "op": "fail", "node": dc, "rsc": "r",
                    "interval_ms": "abc"}).encode(),
        json.dumps({"type": "cluster-op", "op": "fail", "node": dc, "rsc": "r",
                    "rc": [1]}).encode(),
        b'{"type":"cib-commit","xml":"<cib>\\ud800</cib>","base":[0,1]}',
        json.dumps({"type": "cib-commit", "xml": deep_xml, "base": base}).encode(),
        b'{"type":"cib-commit","xml":' + b"[" * 3000 + b"]" * 3000 + b',"base":[0,1]}',
        b'{"type":"status","x":Infinity}',
        b"\xff\xfe\x00",
    ]


def test_every_hostile_input_leaves_every_harmd_running_and_the_cluster_acting(
        spec: LabSpec, tmp_path: Path) -> None:
    pids = {n: lablib.harmd_pid(spec, n) for n in NODES}
    generations = {n: ask(spec, n, "status")["generation"] for n in NODES}
    dc = str(ask(spec, "h1", "controller")["dc"])
    other = next(n for n in NODES if n != dc)
    before = {n: ask(spec, n, "status") for n in NODES}
    ignored_before = {n: ask(spec, n, "controller")["ignored_messages"] for n in NODES}

    # a client that never reads its answer, held open while the rest goes on
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lazy.connect(str(sock(spec, dc)))
    lazy.sendall(b'{"type":"cib"}\n' + b'{"type":"status"}\n')

    heartbeats(spec, other)
    for body in controller_messages(dc):
        assert ask(spec, other, "send", body=body, encoding="base64") == {"queued": True}
    base = list(parse_cib_xml(ask(spec, dc, "cib")["xml"]).version[:2])
    for node in (dc, other):
        for line in control_lines(dc, base):
            start = time.monotonic()
            answer = raw_request(spec, node, line)
            assert answer["ok"] is False, (line[:80], answer)
            assert time.monotonic() - start < 5
    lazy.close()

    # nothing stopped: the same processes, the same lives
    time.sleep(1.0)
    assert {n: lablib.harmd_pid(spec, n) for n in NODES} == pids
    assert {n: ask(spec, n, "status")["generation"] for n in NODES} == generations
    for node in NODES:
        if node == other:
            continue
        dropped = ask(spec, node, "status")["counters"]["dropped"]
        grew = sum(dropped.get(r, 0) - before[node]["counters"]["dropped"].get(r, 0)
                   for r in ("malformed", "too-far"))
        assert grew >= 5, (node, dropped)
        st = ask(spec, node, "status")
        assert st["inputs_dropped"].get("cluster message", 0) >= 5, st["inputs_dropped"]
        assert ask(spec, node, "controller")["ignored_messages"] > ignored_before[node]
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _runs_anything(p)]
    shown = subprocess.run([sys.executable, "-m", "harm.cli.main", "lab", "status", "--name",
                            LAB], capture_output=True, text=True, timeout=60, check=True)
    assert "DROPPED INPUTS" in shown.stdout and "cluster-message=" in shown.stdout
    mon = subprocess.run([sys.executable, "-m", "harm.mon", "--socket", str(sock(spec, dc)),
                          "-1"], capture_output=True, text=True, timeout=60, check=True)
    assert "Dropped inputs: " in mon.stdout and "cluster message=" in mon.stdout

    # and the cluster still acts: a configuration change is carried out on every node
    change = tmp_path / "after.crm"
    change.write_text("primitive after_hostile ocf:harm:Dummy op monitor interval=5s\n"
                      "property stonith-enabled=false\n")
    env = {**os.environ, "HARM_SOCKET": str(sock(spec, other))}
    env.pop("HARM_CIB_FILE", None)
    done = subprocess.run([sys.executable, "-m", "harm.cli.main", "configure", "load",
                           "update", str(change)], env=env, capture_output=True, text=True,
                          timeout=90, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    def carried_out() -> bool:
        cibs = [parse_cib_xml(ask(spec, n, "cib")["xml"]) for n in NODES]
        configured = all(c.configuration.find_resource("after_hostile") for c in cibs)
        started = any(
            op.operation == "start" and op.rc == 0
            for state in cibs[0].status.nodes for history in state.resources
            if history.id == "after_hostile" for op in history.ops)
        return configured and started
    wait_for("after_hostile to be configured everywhere and started", carried_out, 90)
    assert {n: lablib.harmd_pid(spec, n) for n in NODES} == pids


def _runs_anything(pid: str) -> bool:
    """A process started by the forged op (the stock 'anything' agent with /bin/sh)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return b"OCF_RESOURCE_INSTANCE=evil\0" in environ


KEY_LAB = "hkey"


@pytest.fixture(scope="module")
def signed_lab() -> Iterator[LabSpec]:
    """A lab whose nodes sign their packets with node keys."""
    from harm.membership.nodekeys import lines_for

    lablib.down(KEY_LAB)
    built = lablib.up(LabSpec(name=KEY_LAB, nodes=NODES, links=1).validate(), start=False)
    try:
        shared, own = lines_for(list(NODES))
        for node in NODES:
            path = built.node_dir(node) / "authkeys"
            path.write_text(path.read_text() + "\n".join([*shared, own[node]]) + "\n")
            path.chmod(0o600)
            lablib.start_harmd(built, node)
        lablib.wait_sockets(built, list(NODES))
        wait_for("the three signing nodes to settle", lambda: settled(built))
        yield built
    finally:
        lablib.down(KEY_LAB)


def test_with_node_keys_one_node_s_stolen_file_cannot_speak_for_the_dc(
        signed_lab: LabSpec) -> None:
    spec = signed_lab
    dc = str(ask(spec, "h1", "controller")["dc"])
    thief = next(n for n in NODES if n != dc)  # the node whose authkeys file is stolen
    victim = next(n for n in NODES if n not in (dc, thief))
    before = ask(spec, victim, "status")["counters"]["dropped"].get("bad-signature", 0)
    st = ask(spec, dc, "status")
    beats = [b'{"b":1,"x":1,"a":{}}'] * 5
    done = subprocess.run(
        ["ip", "netns", "exec", spec.gateway_ns, sys.executable,
         str(Path(__file__).with_name("hostile.py")), spec.name,
         str(spec.node_dir(thief) / "authkeys"), dc, str(st["generation"]),
         str(st["sequence"] + 20), *(b.hex() for b in beats)],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr

    def refused() -> bool:
        dropped = ask(spec, victim, "status")["counters"]["dropped"]
        return int(dropped.get("bad-signature", 0)) - before >= len(beats)
    wait_for("the forged packets to be refused as badly signed", refused, 10)
    assert settled(spec)
    assert all(lablib.harmd_pid(spec, n) for n in NODES)
