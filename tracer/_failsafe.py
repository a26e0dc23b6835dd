"""Reporting of recording failures: once, never into the app's request."""

from __future__ import annotations

import logging
import threading
import warnings

from .errors import TracerWarning

logger = logging.getLogger("tracer")


class FailureReporter:
    """Reports the first recording failure of its owner through warnings and logging."""

    __slots__ = ("_what", "_reported", "_lock")

    def __init__(self, what: str) -> None:
        self._what = what
        self._reported = False
        self._lock = threading.Lock()

    @property
    def reported(self) -> bool:
        """Whether a failure has been reported already."""
        return self._reported

    def report(self, exc: BaseException) -> None:
        """Report `exc` if it is the first failure; later ones are dropped silently."""
        with self._lock:
            if self._reported:
                return
            self._reported = True
        message = (
            f"tracer: {self._what} failed ({type(exc).__name__}: {exc}); "
            "requests are unaffected, but traces may be incomplete. Further failures are not reported."
        )
        logger.error(message)
        try:
            warnings.warn(message, TracerWarning, stacklevel=2)
        except Exception:  # noqa: BLE001 - warnings configured as errors must not fail a request
            pass
