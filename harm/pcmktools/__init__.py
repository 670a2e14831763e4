"""Pacemaker's command-line tools, answered by harmd, for the agents harmd runs.

The stock agents (resource-agents' ``ocf:heartbeat:*``, Pacemaker's ``ocf:pacemaker:*``)
publish and read cluster state with Pacemaker's tools, which talk to daemons harm does
not run. harmd's executor writes small executables of the same names into a directory
of its own (:mod:`.install`) and puts it first on the agents' ``PATH`` (and in
``HA_SBIN_DIR``) only: the system's Pacemaker binaries stay as they are. Each runs one
module here with harmd's interpreter:

    crm_attribute   node attributes (-l reboot|forever, -N, -n, -v, -G, -D, -q, -d),
                    cluster properties (no -N), promotion scores (--promotion)
    crm_master      crm_attribute --promotion, the old way
    attrd_updater   transient node attributes (-n -U/-v/-B -Q -D -d -p -A -N)
    crm_node        -n name, -l members, -p partition, -q quorum, -i id
    crm_mon         -1 text (-A), --as-xml, --output-as xml
    crm_resource    --locate, --list, -Q; -B/--ban and -U/--clear
    crm_failcount   -G/-D of a resource's fail count
    crm_standby     -G/-v/-D of a node's standby attribute
    cibadmin        -Q [-o SECTION] (read only)
    pacemakerd      -$ only: the version, so that ocf_local_nodename asks crm_node

They talk to the local harmd over ``$HARM_SOCKET`` (node attributes through
:class:`harm.ocf.attributes.HarmSocketStore`, the CIB with harmd's ``cib`` request), or
work on a CIB file when ``CIB_file`` is set, as Pacemaker's tools do. Options, output and
exit codes are those of Pacemaker 2.1 for the calls the stock agents make (105 for an
attribute that is not there, 64 for a usage error, 102 when harmd cannot be reached).
"""
