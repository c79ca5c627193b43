"""``python -m gansrc.trained ...`` (see ``cli``)."""
import sys

from .cli import main

sys.exit(main())
