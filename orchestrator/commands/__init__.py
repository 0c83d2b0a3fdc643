"""Click commands of `orch`. Each module parses options and calls one service function."""
