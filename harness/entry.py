"""The `harness` command's entry point: bytecode caching is turned on before the command's imports run."""

from __future__ import annotations


def main() -> int:
    from harness import bytecode

    bytecode.enable()
    from harness.cli import main as cli_main

    return cli_main()
