"""Domain operations shared by views, jobs and CLI commands; they own the transactions."""
