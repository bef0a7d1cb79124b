"""Entity resolution: features, blocking, comparisons, learned weights, clustering and the
evidence behind each merge. ``dedupe.resolve`` is the entry point."""
