"""``harm``: the operator's command line.

Each sub-command lives in its own module and exports a click command named ``command``.
"""

from __future__ import annotations

import sys

import click

from harm import __version__
from harm.agents.pgsql import cli as pgsql_cli
from harm.cli import attribute, configure, lab, resource, simulate
from harm.errors import ConfigErrors, HarmError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harm")
def cli() -> None:
    """harm: a cluster resource manager for highly available services."""


cli.add_command(configure.command, "configure")
cli.add_command(simulate.command, "simulate")
cli.add_command(lab.command, "lab")
cli.add_command(resource.resource_command, "resource")
cli.add_command(resource.node_command, "node")
cli.add_command(attribute.command, "attribute")
cli.add_command(pgsql_cli.command, "pgsql")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; harm's own errors become ``ErrorType: message`` and exit status 1."""
    try:
        cli.main(args=argv, prog_name="harm", standalone_mode=False)
    except ConfigErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        count = len(errors.errors)
        click.echo(
            f"ConfigErrors: {count} error{'s' if count != 1 else ''}; nothing was changed",
            err=True,
        )
        return 1
    except HarmError as error:
        click.echo(f"{type(error).__name__}: {error}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
