"""Storage: the tables, the engine and its transactions, and every SQL query, by noun."""
