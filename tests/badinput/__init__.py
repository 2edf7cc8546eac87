"""The bad-input corpus: hostile and broken files, each with the finding it must give."""
