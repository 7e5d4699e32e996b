#!/usr/bin/env python
"""Minyi's command line: `python manage.py --help` lists every command."""

import sys

from cli.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
