"""Pure domain logic over plain values and data frames. Imports no Django, no database driver."""
