import sys

from ecomsuite.hadoop.cli import main

sys.exit(main())
