"""pgsql: PostgreSQL streaming replication (one primary, standbys) as a promotable resource.

    settings.py  the instance parameters, typed and checked, and the attribute names
    decide.py    pure decisions: who may be promoted, promotion scores, sync standby plan
    server.py    the PostgreSQL instance: pg_ctl, the include file, queries with psycopg
    agent.py     the OCF actions (start, stop, monitor, promote, demote, notify, validate-all)
    rejoin.py    re-seeding an old primary (pg_rewind, else pg_basebackup), one call
    cli.py       ``harm pgsql rejoin`` for the operator
"""
