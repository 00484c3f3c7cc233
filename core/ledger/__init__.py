"""The ledger: Banyu's deposits at the provider and the monthly profit report."""
