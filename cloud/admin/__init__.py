"""Head-office administration: stores, catalog, prices and promotions, loyalty rules."""
