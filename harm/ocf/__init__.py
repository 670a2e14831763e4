"""The small library every harm resource agent is written on.

    env.py         the OCF environment of one call: action, OCF_RESKEY_* parameters,
                   meta attributes, the op timeout, the local node name
    metadata.py    an agent's typed description and its ra-api-1.dtd meta-data XML
    deadline.py    blocking until a target state, within the op timeout
    attributes.py  node attribute updates behind one interface (harm, Pacemaker, a directory)
    runner.py      action dispatch, exit codes and ``ocf-exit-reason:`` on stderr
    rc.py          the OCF exit codes (re-exported by harm.cib.status for the history)

Exit codes are :class:`harm.ocf.rc.OcfRc`. Agent modules import their heavy
dependencies (pyroute2, psycopg) inside actions, so ``meta-data`` runs on a bare
interpreter (``ocf-tester`` calls it as user ``nobody``).
"""
