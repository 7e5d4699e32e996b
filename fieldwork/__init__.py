"""Field work rules: household import, coverage, worklists, the problem workflow, masking (pure Python)."""
