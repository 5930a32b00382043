import sys

from qprlib.cli import main

sys.exit(main())
