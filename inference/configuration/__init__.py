"""The stack's configuration: `stack.load()` reads and validates it (`stack.parse` for tests), `platform`
holds the result the composition receives, `gateway` the section that picks the mode."""
