"""Subcommands of the ``tracer`` CLI, one module each (see ``tracer.cli``)."""
