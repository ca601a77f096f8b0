"""The `flask catalog ...` commands, added to the catalog blueprint's CLI group explicitly."""
from __future__ import annotations


def register(bp) -> None:
    """Add every catalog command to `bp.cli` (called by `catalog.register`)."""
    from catalog import product_cli, standards_cli
    from catalog.importing import cli as importing_cli

    for command in (product_cli.expire_command, product_cli.refresh_verdicts_command,
                    standards_cli.seed_standards_command, standards_cli.new_standard_version_command,
                    importing_cli.import_command, importing_cli.export_command):
        bp.cli.add_command(command)
