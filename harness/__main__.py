"""`python -m harness` is the `harness` command."""

import sys

from harness.entry import main

sys.exit(main())
