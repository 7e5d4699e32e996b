"""Tests of online backups, their rotation and schedule, the backups page and restoring."""
