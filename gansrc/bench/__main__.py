"""``python -m gansrc.bench``: see ``gansrc.bench.cli``."""
from .cli import main

main()
