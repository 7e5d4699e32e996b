"""Dashboard figures: filters, KPI deltas, rankings, word lists — pure Python over storage results."""
