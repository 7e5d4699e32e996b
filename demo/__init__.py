"""Deterministic synthetic district for demos, tests and benchmarks."""

from demo.generate import DemoDistrict, build_district
from demo.load import DEMO_PASSWORD, DemoDataPresent, DemoSummary, load_demo

__all__ = ["DEMO_PASSWORD", "DemoDataPresent", "DemoDistrict", "DemoSummary", "build_district", "load_demo"]
