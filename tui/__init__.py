"""The terminal UI of tracer: `tracer view FILE` (Textual).

`tui.app.make_app(path, live=False)` builds the app; `tui.app.run_view` is
the ``tracer.ui`` entry point the CLI calls. The package imports tracer,
never the other way round.
"""

__all__: list[str] = []
