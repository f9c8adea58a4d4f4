"""Pure domain rules: no Flask, no database. Each module is data plus small functions."""
