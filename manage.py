#!/usr/bin/env python
"""Minyi's command line: `python manage.py --help` lists every command."""

import sys

from cli.main import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
