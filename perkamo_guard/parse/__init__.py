"""Parse stage: trees, with positions, for the files that rules need to read."""
