"""The garbage collector around a command: a short process that imports torch and matplotlib pays for
collections that find nothing to free.

Those imports leave about 170,000 long-lived objects that CPython's collector tracks. Measured on a 4-second
`train` job on a small data set (2-core machine, loaded): full collections during the command took 0.15 s
(each walks every one of those objects), and the last collection at interpreter exit 0.45 s, only to free
memory that the operating system takes back anyway. (Pausing the collector during the imports as well saved
nothing: the first collection after them walked them all.)
"""
from __future__ import annotations

import atexit
import contextlib
import gc


@contextlib.contextmanager
def startup_frozen():
    """Everything alive now (the imports) moves out of the collector's sight while the command runs, and comes
    back after it, so that a process that goes on (a test run calling main()) collects it again."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_at_exit() -> None:
    """At interpreter exit, leave what is still alive to the operating system instead of walking it once more.
    (Objects alive at exit were never promised their ``__del__``; the commands close their files themselves.)"""
    atexit.register(gc.freeze)
