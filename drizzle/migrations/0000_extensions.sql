-- Extensions the schema relies on. pg_trgm backs the case-insensitive name search of
-- GET /v1/events?q= (a trigram GIN index); it is a trusted extension, so the database
-- owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
