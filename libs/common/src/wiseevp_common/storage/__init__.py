"""PostgreSQL through asyncpg: connection pools, versioned migrations, bulk COPY."""
