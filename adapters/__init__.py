"""Document readers, one module per format."""
