"""``harm``: the operator's command line.

Each sub-command lives in its own module and is imported only when it runs (or when help
lists it): ``harm configure`` need not load the policy engine, nor ``harm lab`` psycopg.
"""

from __future__ import annotations

import importlib
import sys

import click

from harm import __version__
from harm.errors import ConfigErrors, HarmError

# command name -> "module:attribute" of its click command
COMMANDS = {
    "configure": "harm.cli.configure:command",
    "simulate": "harm.cli.simulate:command",
    "lab": "harm.cli.lab:command",
    "resource": "harm.cli.resource:resource_command",
    "node": "harm.cli.resource:node_command",
    "attribute": "harm.cli.attribute:command",
    "ticket": "harm.cli.ticket:command",
    "status": "harm.cli.status:command",
    "pgsql": "harm.agents.pgsql.cli:command",
    "witness": "harm.witness.cli:command",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harm")
def cli() -> None:
    """harm: a cluster resource manager for highly available services."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; harm's own errors become ``ErrorType: message`` and exit status 1."""
    try:
        # without standalone mode click returns (not raises) the status of Exit(n)
        result = cli.main(args=argv, prog_name="harm", standalone_mode=False)
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
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
