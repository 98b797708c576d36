"""The public front page, each role's home, the language switch, health check and error pages."""
