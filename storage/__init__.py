"""Storage: one aiosqlite connection, numbered SQL migrations, one repository per aggregate."""
