"""Optional compiled build: TRACER_USE_MYPYC=1 compiles the recording path with mypyc.

Without it (the default, and always for editable installs) the package is pure
Python. A compiled module is a .so next to its .py, which Python imports first:
an editable install with stale .so files would run old code.
"""

import os
import sys

from setuptools import setup

# The mypyc of every compiled build: what it generates (and its bugs) differ between releases.
MYPY = "mypy==2.4.1"

# The modules every traced request runs through. Not tracer/_wsgi_streams.py: its proxy classes
# are subclassed at run time (one per stream) and use __getattr__, which mypyc cannot combine.
HOT_PATH = [
    "tracer/codec.py",
    "tracer/redact.py",
    "tracer/_session.py",
    "tracer/jsonl.py",
    "tracer/wsgi.py",
    "tracer/asgi.py",
]

COMPILED = os.environ.get("TRACER_USE_MYPYC") == "1"


def ext_modules() -> list:
    if not COMPILED:
        return []
    if "editable_wheel" in sys.argv or "develop" in sys.argv:
        sys.exit("TRACER_USE_MYPYC=1 builds wheels only: a .so next to its .py would shadow your edits")
    try:
        from mypyc.build import mypycify
    except ImportError:
        if "egg_info" in sys.argv:
            # pip asking for the build's requirements: setup_requires names mypy, pip installs it
            # in the isolated build environment and runs this file again to build.
            return []
        sys.exit(f"TRACER_USE_MYPYC=1 needs {MYPY} in the build environment (pip's build isolation installs it)")
    opt_level = os.environ.get("TRACER_MYPYC_OPT_LEVEL", "3")
    # Only these modules must type-check for mypyc; what they import is read, not checked.
    options = ["--follow-imports=silent", "--ignore-missing-imports"]
    # group_name: the shared library is tracer__mypyc.*.so beside the package, not a hash.
    return mypycify([*options, *HOT_PATH], opt_level=opt_level, debug_level="0", group_name="tracer")


setup(setup_requires=[MYPY] if COMPILED else [], ext_modules=ext_modules())
