-- Object kinds beyond pagila and the stress fixture (issue 10), each of
-- which a dump must give back: collations (libc, ICU, nondeterministic) and
-- a table that uses them, FORCE ROW LEVEL SECURITY, extended statistics
-- with a statistics target, event triggers in every firing state, and a
-- table without columns that still has rows, large objects, and (at the
-- end) transforms, foreign tables, standalone shell types, subscriptions,
-- typed tables and other cases of the regression database.
CREATE SCHEMA objs;
CREATE COLLATION objs.case_insensitive (provider = icu, locale = 'und-u-ks-level2',
                                        deterministic = false);
CREATE COLLATION objs.german (provider = icu, locale = 'de-DE');
CREATE COLLATION objs.posix_copy (provider = libc, locale = 'C');
CREATE COLLATION objs.split_libc (provider = libc, lc_collate = 'C', lc_ctype = 'POSIX');
COMMENT ON COLLATION objs.german IS 'German, ICU';

CREATE TABLE objs.people (
  id integer PRIMARY KEY,
  name text COLLATE objs.case_insensitive NOT NULL,
  city text COLLATE objs.german,
  code text COLLATE objs.posix_copy,
  zip integer,
  region text COLLATE objs.split_libc
);
INSERT INTO objs.people VALUES (1, 'Anna', 'Köln', 'a', 50667, 'NRW'),
  (2, 'BORIS', 'München', 'b', 80331, 'BY'), (3, 'carla', 'Zürich', NULL, 8001, NULL);
CREATE UNIQUE INDEX people_name_key ON objs.people (name);

ALTER TABLE objs.people ENABLE ROW LEVEL SECURITY;
ALTER TABLE objs.people FORCE ROW LEVEL SECURITY;
CREATE POLICY people_all ON objs.people USING (true);

CREATE STATISTICS objs.people_stats (dependencies, ndistinct) ON city, zip FROM objs.people;
CREATE STATISTICS objs.people_mcv (mcv) ON city, region FROM objs.people;
ALTER STATISTICS objs.people_mcv SET STATISTICS 500;
COMMENT ON STATISTICS objs.people_stats IS 'city determines zip';

CREATE TABLE objs.nothing ();
INSERT INTO objs.nothing DEFAULT VALUES;
INSERT INTO objs.nothing DEFAULT VALUES;

CREATE FUNCTION objs.log_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'ddl: %', tg_tag;
END
$$;
CREATE EVENT TRIGGER objs_ddl_enabled ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION objs.log_ddl();
CREATE EVENT TRIGGER objs_ddl_disabled ON ddl_command_start EXECUTE FUNCTION objs.log_ddl();
ALTER EVENT TRIGGER objs_ddl_disabled DISABLE;
CREATE EVENT TRIGGER objs_ddl_replica ON sql_drop EXECUTE FUNCTION objs.log_ddl();
ALTER EVENT TRIGGER objs_ddl_replica ENABLE REPLICA;
CREATE EVENT TRIGGER objs_ddl_always ON table_rewrite EXECUTE FUNCTION objs.log_ddl();
ALTER EVENT TRIGGER objs_ddl_always ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER objs_ddl_always IS 'fires in every session_replication_role';

-- A base type (shell type, I/O functions, then the type), casts both ways,
-- an operator with a commutator that exists only as a shell, and a view
-- and a table that need them.
CREATE TYPE objs.int8alias;
CREATE FUNCTION objs.int8alias_in(cstring) RETURNS objs.int8alias
  LANGUAGE internal IMMUTABLE STRICT AS 'int8in';
CREATE FUNCTION objs.int8alias_out(objs.int8alias) RETURNS cstring
  LANGUAGE internal IMMUTABLE STRICT AS 'int8out';
CREATE TYPE objs.int8alias (INPUT = objs.int8alias_in, OUTPUT = objs.int8alias_out, LIKE = int8,
                            CATEGORY = 'N');
COMMENT ON TYPE objs.int8alias IS 'bigint by another name';
CREATE CAST (bigint AS objs.int8alias) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (objs.int8alias AS bigint) WITHOUT FUNCTION AS ASSIGNMENT;
CREATE FUNCTION objs.text_alias(text) RETURNS objs.int8alias
  LANGUAGE sql IMMUTABLE AS 'SELECT length($1)::bigint::objs.int8alias';
CREATE CAST (text AS objs.int8alias) WITH FUNCTION objs.text_alias(text);
COMMENT ON CAST (text AS objs.int8alias) IS 'the length';
CREATE TABLE objs.amounts (id integer PRIMARY KEY, v objs.int8alias NOT NULL);
INSERT INTO objs.amounts VALUES (1, '42'), (2, '-7');

CREATE FUNCTION objs.int4_lt(integer, integer) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE OPERATOR objs.<<< (FUNCTION = objs.int4_lt, LEFTARG = integer, RIGHTARG = integer,
                          COMMUTATOR = OPERATOR(objs.>>>), RESTRICT = scalarltsel,
                          JOIN = scalarltjoinsel);
COMMENT ON OPERATOR objs.<<< (integer, integer) IS 'less than, spelt long';
CREATE VIEW objs.small_zips AS SELECT id FROM objs.people WHERE zip OPERATOR(objs.<<<) 60000;

-- A table access method of the user's (heap under another name) and a table using it.
CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
COMMENT ON ACCESS METHOD heap_copy IS 'heap by another name';
CREATE TABLE objs.other_am (id integer PRIMARY KEY, note text) USING heap_copy;
INSERT INTO objs.other_am VALUES (1, 'stored by heap_copy');

-- A CHECK constraint calling a function of the table's own row type: the
-- constraint must be added after the table, the function and the data.
CREATE TABLE objs.self_checked (f1 integer);
CREATE FUNCTION objs.positive(objs.self_checked) RETURNS boolean
  LANGUAGE sql IMMUTABLE AS 'SELECT $1.f1 > 0';
ALTER TABLE objs.self_checked ADD CONSTRAINT self_checked_check CHECK (objs.positive(self_checked.*));
INSERT INTO objs.self_checked VALUES (1), (NULL);

-- An inheritance child that was given the parent's generated column before
-- it inherited: the child takes the parent's expression on restore.
CREATE TABLE objs.gen_parent (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED);
CREATE TABLE objs.gen_child (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE objs.gen_child INHERIT objs.gen_parent;
INSERT INTO objs.gen_parent (a) VALUES (1);
INSERT INTO objs.gen_child (a) VALUES (2);

-- A materialized view that reads another through a plain view, named so
-- that sorting by name alone would refresh it first.
CREATE MATERIALIZED VIEW objs.zz_source AS SELECT id, zip FROM objs.people;
CREATE VIEW objs.zz_source_view AS SELECT id, zip FROM objs.zz_source;
CREATE MATERIALIZED VIEW objs.aa_reader AS SELECT count(*) AS n FROM objs.zz_source_view;

-- Large objects (pg_dump's BLOB and BLOBS entries): one with a comment and a
-- grant, an empty one, and one of 640,000 bytes that takes five lo_put pieces;
-- a table refers to them by OID, as applications do.
SELECT pg_catalog.lo_from_bytea(70001, 'a small object');
SELECT pg_catalog.lo_from_bytea(70002, '');
SELECT pg_catalog.lo_from_bytea(70003, (SELECT string_agg(sha256(i::text::bytea), '' ORDER BY i)
                                          FROM generate_series(1, 20000) i));
COMMENT ON LARGE OBJECT 70001 IS 'object with a comment';
GRANT SELECT ON LARGE OBJECT 70001 TO PUBLIC;
GRANT SELECT, UPDATE ON LARGE OBJECT 70003 TO PUBLIC;
CREATE TABLE objs.documents (id integer PRIMARY KEY, content oid);
INSERT INTO objs.documents VALUES (1, 70001), (2, 70002), (3, 70003);

-- Text search: a parser and a template over the server's own functions, a
-- dictionary with options and a comment, a configuration with mappings, and
-- a generated column that uses it.
CREATE TEXT SEARCH PARSER objs.words (START = prsd_start, GETTOKEN = prsd_nexttoken,
  END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
CREATE TEXT SEARCH TEMPLATE objs.plain (INIT = dsimple_init, LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY objs.stopped (TEMPLATE = objs.plain, STOPWORDS = english,
  ACCEPT = false);
COMMENT ON TEXT SEARCH DICTIONARY objs.stopped IS 'simple, without English stop words';
CREATE TEXT SEARCH CONFIGURATION objs.search (PARSER = objs.words);
ALTER TEXT SEARCH CONFIGURATION objs.search
  ADD MAPPING FOR asciiword, word WITH objs.stopped, simple;
ALTER TEXT SEARCH CONFIGURATION objs.search ADD MAPPING FOR int WITH simple;
CREATE TABLE objs.texts (id integer PRIMARY KEY, body text,
  words tsvector GENERATED ALWAYS AS (to_tsvector('objs.search'::regconfig, body)) STORED);
INSERT INTO objs.texts (id, body) VALUES (1, 'The quick brown fox 42'), (2, 'and the lazy dog');

-- A conversion and a procedural language of the user's (plpgsql's handler
-- under another name), with a comment and no USAGE for PUBLIC.
CREATE CONVERSION objs.latin1_in FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
CREATE FUNCTION objs.other_handler() RETURNS language_handler
  AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE TRUSTED LANGUAGE other_lang HANDLER objs.other_handler;
COMMENT ON LANGUAGE other_lang IS 'plpgsql by another name';
REVOKE USAGE ON LANGUAGE other_lang FROM PUBLIC;

-- Foreign data: a wrapper without functions, a server with options, a
-- comment and a grant, a user mapping for PUBLIC with options.
CREATE FOREIGN DATA WRAPPER objs_fdw OPTIONS (mode 'test');
CREATE SERVER objs_server TYPE 'test' VERSION '1.0' FOREIGN DATA WRAPPER objs_fdw
  OPTIONS (host 'db.example.com', port '5432');
COMMENT ON SERVER objs_server IS 'a server nobody connects to';
GRANT USAGE ON FOREIGN SERVER objs_server TO PUBLIC;
CREATE USER MAPPING FOR PUBLIC SERVER objs_server OPTIONS (user 'reader');

-- Publications: one table with a column list and a row filter, and one of a
-- whole schema published through partition roots.
CREATE PUBLICATION objs_texts FOR TABLE objs.texts (id, body) WHERE (id > 0)
  WITH (publish = 'insert, update');
COMMENT ON PUBLICATION objs_texts IS 'texts, new and changed';
CREATE PUBLICATION objs_schema FOR TABLES IN SCHEMA objs WITH (publish_via_partition_root = true);

-- Operator families and classes: a btree class in a family of its own with a
-- support function of the user's, a loose cross-type member added to the
-- family, a hash class with an implicit family, and an index using the class.
CREATE OPERATOR FAMILY objs.int_family USING btree;
CREATE FUNCTION objs.int_compare(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE
  AS 'SELECT CASE WHEN $1 < $2 THEN -1 WHEN $1 > $2 THEN 1 ELSE 0 END';
CREATE OPERATOR CLASS objs.int_order FOR TYPE integer USING btree FAMILY objs.int_family AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
  FUNCTION 1 objs.int_compare(integer, integer);
ALTER OPERATOR FAMILY objs.int_family USING btree ADD
  OPERATOR 1 < (integer, bigint), FUNCTION 1 (integer, bigint) btint48cmp(integer, bigint);
COMMENT ON OPERATOR CLASS objs.int_order USING btree IS 'integers by objs.int_compare';
CREATE OPERATOR CLASS objs.text_hash FOR TYPE text USING hash AS
  OPERATOR 1 =, FUNCTION 1 hashtext(text);
CREATE INDEX people_zip_order ON objs.people (zip objs.int_order);

-- A transform (the server's own functions stand in for real ones), with a comment.
CREATE TRANSFORM FOR integer LANGUAGE other_lang (FROM SQL WITH FUNCTION prsd_lextype(internal),
  TO SQL WITH FUNCTION int4recv(internal));
COMMENT ON TRANSFORM FOR integer LANGUAGE other_lang IS 'integers for other_lang';

-- A foreign table with table and column options, a constraint, column
-- settings, comments and a grant; a standalone shell type with a comment.
CREATE FOREIGN TABLE objs.remote_people (
  id integer OPTIONS (column_name 'person_id', "quoted name" 'x') NOT NULL,
  name text COLLATE objs.german,
  CONSTRAINT remote_id_positive CHECK (id > 0)
) SERVER objs_server OPTIONS (schema_name 'remote', table_name 'people');
ALTER FOREIGN TABLE objs.remote_people ALTER COLUMN name SET STATISTICS 200;
COMMENT ON FOREIGN TABLE objs.remote_people IS 'people elsewhere';
COMMENT ON COLUMN objs.remote_people.name IS 'as the remote spells it';
GRANT SELECT (name) ON objs.remote_people TO PUBLIC;
CREATE TYPE objs.undefined_shell;
COMMENT ON TYPE objs.undefined_shell IS 'declared, never defined';

-- A subscription (created disconnected; the harness drops it before the
-- database): two publications, a slot name and non-default options.
CREATE SUBSCRIPTION objs_sub CONNECTION 'host=publisher.invalid dbname=nowhere'
  PUBLICATION objs_texts, "Other Pub"
  WITH (connect = false, slot_name = 'objs_slot', binary = true, streaming = on,
        synchronous_commit = 'local');
COMMENT ON SUBSCRIPTION objs_sub IS 'never connects';

-- Typed tables, an inherited NOT VALID check, a comment on a primary key's
-- index, a partition whose clone of its parent's trigger is disabled, a
-- materialized view's column setting, and privileges on a system column
-- and on a column of a pg_catalog table.
CREATE TYPE objs.pair AS (a integer, b text);
CREATE TABLE objs.pairs OF objs.pair (a NOT NULL, b DEFAULT 'none');
CREATE TABLE objs.plain_pairs OF objs.pair;
CREATE TABLE objs.nv_parent (d date);
CREATE TABLE objs.nv_child () INHERITS (objs.nv_parent);
ALTER TABLE objs.nv_parent ADD CONSTRAINT nv_recent CHECK (d > '2000-01-01') NOT VALID;
CREATE TABLE objs.keyed (id integer CONSTRAINT keyed_pk PRIMARY KEY);
COMMENT ON INDEX objs.keyed_pk IS 'the primary key''s index';
CREATE TABLE objs.parted (id integer) PARTITION BY RANGE (id);
CREATE TABLE objs.parted_low PARTITION OF objs.parted FOR VALUES FROM (0) TO (100);
CREATE FUNCTION objs.noop() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER parted_noop AFTER INSERT ON objs.parted
  FOR EACH ROW EXECUTE FUNCTION objs.noop();
ALTER TABLE objs.parted_low DISABLE TRIGGER parted_noop;
CREATE MATERIALIZED VIEW objs.keyed_view AS SELECT id FROM objs.keyed;
ALTER MATERIALIZED VIEW objs.keyed_view ALTER COLUMN id SET STATISTICS 300;
GRANT SELECT (tableoid) ON objs.keyed TO PUBLIC;
GRANT SELECT (prosrc) ON pg_catalog.pg_proc TO PUBLIC;
