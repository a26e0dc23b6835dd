"""Run the WSGI corpus under Werkzeug's LintMiddleware and tracer side by side (by hand, not in CI).

    python -m tests.tracer.checks.compare_lint

Prints, for every WSGI broken example of the rule catalog, the warnings of Werkzeug's
lint (wrapped around the traced app, as a server-side middleware) next to
tracer's findings.
"""

from __future__ import annotations

import gc
import warnings

from werkzeug.middleware.lint import LintMiddleware

from tracer.checks import check_trace

from .catalog import cases
from .drivers import run_wsgi


def main() -> None:
    only_lint = 0
    wsgi_cases = cases("wsgi")
    for case in wsgi_cases:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trace = run_wsgi(case.app, outer=LintMiddleware, **case.options)
            gc.collect()
        theirs = sorted({str(w.message)[:70] for w in caught})
        ours = sorted({(f.rule, f.severity) for f in check_trace(trace)})
        flag = "   <-- lint only" if theirs and not ours else ""
        only_lint += bool(flag)
        print(f"{case.rule:34} lint={theirs}\n{'':34} tracer={ours}{flag}")
    print(f"\n{len(wsgi_cases)} apps; {only_lint} where only the lint middleware reports something")


if __name__ == "__main__":
    main()
