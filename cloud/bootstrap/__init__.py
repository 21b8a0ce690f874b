"""The hub side of a store's bootstrap (``sync.bootstrap``): the snapshot header and its pages."""
