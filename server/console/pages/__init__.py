"""The console's pages, one module per noun, each with its router of `ConsoleRoute`s."""
