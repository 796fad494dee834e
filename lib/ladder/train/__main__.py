"""``python -m ladder.train ...``: the ``ladder train`` command alone; ``accelerate launch`` runs it on every rank."""

import sys

from ladder.train.stage import main

if __name__ == "__main__":
    sys.exit(main())
