"""Entry point of ``python -m benchmarks`` (``make bench``)."""

from benchmarks.run import main

raise SystemExit(main())
