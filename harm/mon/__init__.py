"""``harm_mon``: the cluster status view, in the layout of Pacemaker 2.1's ``crm_mon``.

    source.py      where a CIB comes from (a file polled for changes now, harmd later)
    snapshot.py    one frozen (CIB, unpacked cluster state, now) to render
    options.py     what to show (-A -f -r -o -n) and how (text, xml, json)
    formats.py     crm_mon's spellings of times, intervals, exit codes and op keys
    summary.py     "Cluster Summary": stack, DC, quorum, times, counts
    attributes.py  "Node Attributes" (heartbeat links, pgsql status, ping scores)
    failures.py    "Migration Summary", "Operations" and "Failed Resource Actions"
    text.py        the whole text page (reusing :mod:`harm.view` for nodes and resources)
    xmlout.py      ``--output-as=xml`` as crm_mon's ``pacemaker-result``
    jsonout.py     the same content as JSON
    simple.py      ``-s``: one line and a Nagios exit code
    tui.py         the live curses screen
    main.py        the command line

Everything but ``source``, ``tui`` and ``main`` is pure: no files, sockets or clock reads.
"""
