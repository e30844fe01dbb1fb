"""``python -m textclass``, which is also how torchrun starts each process: ``torchrun ... -m textclass train``."""
import sys

from .cli.main import main

sys.exit(main())
