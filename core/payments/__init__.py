"""Payments: raw gateway deliveries, the per-order ledger, matching, reconciliation and the inbox."""
