"""harm's Pacemaker tools against Pacemaker's own, offline on the same CIB file (CIB_file),
and the executables the executor writes for the agents."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harm.cib.store import load_cib
from harm.pcmktools.install import TOOLS, write_tools
from harm.pcmktools.options import OPTIONAL, Option, UsageError, parse

pytestmark = pytest.mark.pacemaker

CIB = """<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="5" num_updates="0"
 admin_epoch="0" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="n1">
        <instance_attributes id="n1-ia">
          <nvpair id="n1-ia-ds" name="r_pgsql-data-status" value="LATEST"/>
        </instance_attributes>
      </node>
      <node id="2" uname="n2"/>
    </nodes>
    <resources>
      <primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>
      <master id="ms_st">
        <primitive id="st" class="ocf" provider="pacemaker" type="Stateful"/>
      </master>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1">
        <instance_attributes id="status-1">
          <nvpair id="status-1-s" name="r_pgsql-status" value="PRI"/>
          <nvpair id="status-1-m" name="master-st" value="10"/>
        </instance_attributes>
      </transient_attributes>
    </node_state>
  </status>
</cib>
"""

# the queries the stock agents make (pgsql, Stateful, ping's and crm_master's callers)
QUERIES = [
    "-N n1 -n r_pgsql-status -l reboot -G",
    "-N n1 -n r_pgsql-status -l reboot -G -q",
    "-N n1 -n nope -l reboot -G",
    "-N n1 -n nope -l reboot -G -q",
    "-N n1 -n nope -l reboot -G -d dflt",
    "-N n1 -n nope -l reboot -G -q -d dflt",
    "-N n1 -n r_pgsql-data-status -l forever -G -q",
    "-N n1 -n r_pgsql-data-status -G",
    "-N n1 -n x -t status -G",
    "-n stonith-enabled -G",
    "-n stonith-enabled -G -q",
    "-n nope -G",
    "--promotion=st -N n1 -G",
    "-p st -N n1 -G -q",
    "--promotion -N n1 -G -q",
    "--promotion -G",
    "-N n1 -n nope -l reboot -D",
]


@pytest.fixture
def cib_file(tmp_path: Path) -> Path:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    return path


def tool(program: list[str], args: list[str], cib_file: Path, **extra: str
         ) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCF_", "HA_", "HARM_SOCKET"))}
    env.update({"CIB_file": str(cib_file), **extra})
    done = subprocess.run([*program, *args], capture_output=True, text=True, timeout=60,
                          env=env, check=False, cwd="/")
    return done.returncode, done.stdout, done.stderr.strip()


def harm_tool(name: str) -> list[str]:
    return [sys.executable, "-P", "-m", f"harm.pcmktools.{name}"]


@pytest.mark.parametrize("args", QUERIES)
def test_crm_attribute_answers_as_pacemakers(args: str, cib_file: Path) -> None:
    """Exit code, standard output and error text of Pacemaker's crm_attribute, for the
    same call on the same CIB (the agent's resource named as Pacemaker names an anonymous
    clone instance; harm's executor adds ``:N``, which --promotion drops, tested below)."""
    extra = {"OCF_RESOURCE_INSTANCE": "st"}
    theirs = tool([shutil.which("crm_attribute") or "crm_attribute"], args.split(), cib_file,
                  **extra)
    ours = tool(harm_tool("crm_attribute"), args.split(), cib_file, **extra)
    assert ours == theirs


def test_crm_attribute_writes_the_file(cib_file: Path) -> None:
    def run(args: str) -> tuple[int, str, str]:
        return tool(harm_tool("crm_attribute"), args.split(), cib_file)

    assert run("-N n2 -n r_pgsql-status -l reboot -v HS:sync")[0] == 0
    assert run("-N n2 -n r_pgsql-status -l reboot -G -q")[1] == "HS:sync\n"
    assert run("-N n2 -n r_pgsql-data-status -l forever -v STREAMING|SYNC")[0] == 0
    assert run("-n no-quorum-policy -v ignore")[0] == 0
    cib = load_cib(cib_file)
    assert cib.configuration.property("no-quorum-policy") == "ignore"
    node = cib.configuration.node_by_uname("n2")
    assert node is not None and node.attribute("r_pgsql-data-status") == "STREAMING|SYNC"
    assert run("-N n2 -n r_pgsql-status -l reboot -D")[0] == 0
    assert run("-N n2 -n r_pgsql-status -l reboot -G")[0] == 105
    assert run("-n no-quorum-policy -D")[0] == 0
    assert load_cib(cib_file).configuration.property("no-quorum-policy") is None


def test_the_other_tools_offline(cib_file: Path) -> None:
    env = {"HA_NODENAME": "n1", "OCF_RESOURCE_INSTANCE": "st:0"}

    def run(name: str, args: str) -> tuple[int, str, str]:
        return tool(harm_tool(name), args.split(), cib_file, **env)

    assert run("crm_master", "-l reboot -G -q") == (0, "10\n", "")
    assert run("crm_master", "-l reboot -v 5")[0] == 0
    assert run("crm_attribute", "-N n1 -n master-st -l reboot -G -q")[1] == "5\n"
    assert run("attrd_updater", "-n r_pgsql-status -Q") == (
        0, 'name="r_pgsql-status" host="n1" value="PRI"\n', "")
    assert run("attrd_updater", "-n pingd -Q")[0] == 105
    assert run("attrd_updater", "-n pingd -B 100 -d 5s")[0] == 0
    assert run("attrd_updater", "-n pingd -Q -A")[1] == 'name="pingd" host="n1" value="100"\n'
    assert run("crm_node", "-n") == (0, "n1\n", "")
    assert run("crm_node", "-l")[1] == "1 n1 member\n2 n2 lost\n"
    assert run("crm_node", "-p")[1] == "n1\n"
    assert run("crm_node", "-q")[1] == "1\n"
    assert run("crm_standby", "-G -N n2") == (0, "scope=nodes  name=standby value=off\n", "")
    assert run("crm_standby", "-v on -N n2")[0] == 0
    assert run("crm_standby", "-G -N n2 -q")[1] == "on\n"
    assert run("crm_failcount", "-G -r d -N n1") == (
        0, "scope=status  name=fail-count-d value=0\n", "")
    code, out, _ = run("cibadmin", "-Q -o nodes")
    assert code == 0 and out.startswith("<nodes>") and 'uname="n2"' in out
    assert run("cibadmin", "-E")[0] == 64
    code, out, _ = run("crm_resource", "--list-raw")
    assert out.split() == ["d", "st"]
    assert run("crm_resource", "--locate -r d")[2] == "resource d is NOT running"
    code, out, _ = run("crm_resource", "--list")
    assert code == 0 and "d\t(ocf:pacemaker:Dummy):\t Stopped" in out
    assert run("crm_resource", "--locate -r nosuch")[0] == 105
    code, out, _ = run("crm_mon", "-1 -A")
    assert code == 0 and "Node Attributes:" in out and "r_pgsql-status" in out


def test_crm_mon_xml_is_what_pgsql_looks_for(cib_file: Path) -> None:
    """pgsql greps crm_mon's XML for '<node name="N" … online="true"' (is_node_online) and
    '<resource id="R" … role="Promoted|Master"' (a primary exists)."""
    for args in ("-1 --output-as=xml", "-1 --as-xml"):
        code, out, _ = tool(harm_tool("crm_mon"), args.split(), cib_file)
        assert code == 0
        assert any(line.strip().startswith('<node name="n1" ') and 'online="true"' in line
                   for line in out.splitlines()), out
        theirs = tool(["crm_mon"], args.split(), cib_file)
        assert theirs[0] == 0
        assert (out.splitlines()[1].split()[0] == theirs[1].splitlines()[1].split()[0]
                if args.endswith("as-xml") else out.startswith("<pacemaker-result"))


def test_options_as_glib_parses_them() -> None:
    options = [Option("promotion", "p", ("promotion",), OPTIONAL),
               Option("name", "n", ("name",), "needs"), Option("query", "G", ("query",)),
               Option("quiet", "q", ("quiet",))]
    assert parse(["-Gq", "-nfoo"], options).values == {"query": None, "quiet": None,
                                                        "name": "foo"}
    assert parse(["-p", "-G"], options).values == {"promotion": None, "query": None}
    assert parse(["-p", "rsc", "-G"], options).values == {"promotion": "rsc", "query": None}
    assert parse(["--promotion=rsc"], options).values == {"promotion": "rsc"}
    with pytest.raises(UsageError):
        parse(["-x"], options)
    with pytest.raises(UsageError):
        parse(["--name"], options)


def test_the_executables_run_with_the_interpreter_given(tmp_path: Path, cib_file: Path
                                                        ) -> None:
    bin_dir = tmp_path / "bin"
    write_tools(bin_dir, sys.executable)
    assert sorted(p.name for p in bin_dir.iterdir()) == sorted(TOOLS)
    before = (bin_dir / "crm_node").stat().st_mtime_ns
    write_tools(bin_dir, sys.executable)  # unchanged text: not rewritten
    assert (bin_dir / "crm_node").stat().st_mtime_ns == before
    code, out, _ = tool([str(bin_dir / "crm_node"), "-n"], [], cib_file, HA_NODENAME="n2")
    assert (code, out) == (0, "n2\n")
