-- Object kinds beyond pagila and the stress fixture (issue 10), each of
-- which a dump must give back: collations (libc, ICU, nondeterministic) and
-- a table that uses them, FORCE ROW LEVEL SECURITY, extended statistics
-- with a statistics target, event triggers in every firing state, and a
-- table without columns that still has rows.
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
