-- Hostile names in every object kind a name can be given to (issue 9).
-- Each name holds a newline followed by a psql meta-command; loading this
-- file must not run it (it is inside quotes here), nor may a dump of it.
-- Sentinel: /tmp/dbsnap-hostile-pg-pwned (the tests assert it is never created).
CREATE SCHEMA "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x";
CREATE TYPE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."mood
\! touch /tmp/dbsnap-hostile-pg-pwned
x" AS ENUM ('ok
\! touch /tmp/dbsnap-hostile-pg-pwned
x', '*/--;''`');
CREATE TYPE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."c*/--;'""`
\.
x" AS ("a
\! touch /tmp/dbsnap-hostile-pg-pwned
x" integer, "b*/" text);
CREATE DOMAIN "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."dm
\! touch /tmp/dbsnap-hostile-pg-pwned
x" AS text CONSTRAINT "dc
\! touch /tmp/dbsnap-hostile-pg-pwned
x" CHECK (VALUE <> '
\! touch /tmp/dbsnap-hostile-pg-pwned
');
CREATE SEQUENCE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."q
\! touch /tmp/dbsnap-hostile-pg-pwned
x" START 7;
CREATE TABLE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (
  id integer CONSTRAINT "p
\! touch /tmp/dbsnap-hostile-pg-pwned
x" PRIMARY KEY,
  "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x" text DEFAULT 'dflt
\! touch /tmp/dbsnap-hostile-pg-pwned
x',
  "d[31m	;--*/x" "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."mood
\! touch /tmp/dbsnap-hostile-pg-pwned
x",
  "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."dm
\! touch /tmp/dbsnap-hostile-pg-pwned
x",
  n bigint DEFAULT nextval('"s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."q
\! touch /tmp/dbsnap-hostile-pg-pwned
x"'),
  r "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."c*/--;'""`
\.
x",
  CONSTRAINT "k
\! touch /tmp/dbsnap-hostile-pg-pwned
x" CHECK ("c
\! touch /tmp/dbsnap-hostile-pg-pwned
x" <> '
\! touch /tmp/dbsnap-hostile-pg-pwned
*/')
);
CREATE TABLE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" (
  id integer PRIMARY KEY CONSTRAINT "f
\! touch /tmp/dbsnap-hostile-pg-pwned
x" REFERENCES "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id),
  "\! touch /tmp/dbsnap-hostile-pg-pwned col" text
);
CREATE TABLE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (x text);
CREATE INDEX "i
\! touch /tmp/dbsnap-hostile-pg-pwned
x" ON "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" ("c
\! touch /tmp/dbsnap-hostile-pg-pwned
x");
CREATE VIEW "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."v
\! touch /tmp/dbsnap-hostile-pg-pwned
x" AS SELECT "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x" AS "vc
\! touch /tmp/dbsnap-hostile-pg-pwned
x", '
\! touch /tmp/dbsnap-hostile-pg-pwned
'::text AS lit FROM "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x";
CREATE FUNCTION "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."fn
\! touch /tmp/dbsnap-hostile-pg-pwned
x"("arg
\! touch /tmp/dbsnap-hostile-pg-pwned
x" text) RETURNS text LANGUAGE sql AS $fn$
SELECT $1 || '
\! touch /tmp/dbsnap-hostile-pg-pwned
\.
*/ -- ;'
$fn$;
CREATE PROCEDURE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."pr
\! touch /tmp/dbsnap-hostile-pg-pwned
x"() LANGUAGE plpgsql AS $pr$
BEGIN
  RAISE NOTICE '%', '
\! touch /tmp/dbsnap-hostile-pg-pwned';
END
$pr$;
CREATE FUNCTION "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."trgfn
\! touch /tmp/dbsnap-hostile-pg-pwned
x"() RETURNS trigger LANGUAGE plpgsql AS $t$
BEGIN
  NEW."c
\! touch /tmp/dbsnap-hostile-pg-pwned
x" := coalesce(NEW."c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", '
\! touch /tmp/dbsnap-hostile-pg-pwned');
  RETURN NEW;
END
$t$;
CREATE TRIGGER "tg
\! touch /tmp/dbsnap-hostile-pg-pwned
x" BEFORE INSERT ON "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" FOR EACH ROW EXECUTE FUNCTION "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."trgfn
\! touch /tmp/dbsnap-hostile-pg-pwned
x"();
COMMENT ON SCHEMA "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON TABLE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON COLUMN "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."c
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON TYPE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."mood
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON SEQUENCE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."q
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON INDEX "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."i
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON CONSTRAINT "k
\! touch /tmp/dbsnap-hostile-pg-pwned
x" ON "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON VIEW "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."v
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON FUNCTION "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."fn
\! touch /tmp/dbsnap-hostile-pg-pwned
x"(text) IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON PROCEDURE "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."pr
\! touch /tmp/dbsnap-hostile-pg-pwned
x"() IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON TRIGGER "tg
\! touch /tmp/dbsnap-hostile-pg-pwned
x" ON "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
COMMENT ON DOMAIN "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."dm
\! touch /tmp/dbsnap-hostile-pg-pwned
x" IS 'comment
\! touch /tmp/dbsnap-hostile-pg-pwned
*/ -- ; \.
end';
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (1, '
\! touch /tmp/dbsnap-hostile-pg-pwned
', 'ok
\! touch /tmp/dbsnap-hostile-pg-pwned
x', '
\! touch /tmp/dbsnap-hostile-pg-pwned
z', ROW(1, '
\! touch /tmp/dbsnap-hostile-pg-pwned
'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (1, '
\! touch /tmp/dbsnap-hostile-pg-pwned
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('
\! touch /tmp/dbsnap-hostile-pg-pwned
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (2, '\.', NULL, '\.z', ROW(2, '\.'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (2, '\.');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('\.');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (3, '
\.
', 'ok
\! touch /tmp/dbsnap-hostile-pg-pwned
x', '
\.
z', ROW(3, '
\.
'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (3, '
\.
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('
\.
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (4, '*/ -- ;', NULL, '*/ -- ;z', ROW(4, '*/ -- ;'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (4, '*/ -- ;');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('*/ -- ;');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (5, '''"`', 'ok
\! touch /tmp/dbsnap-hostile-pg-pwned
x', '''"`z', ROW(5, '''"`'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (5, '''"`');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('''"`');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (6, '
\! touch /tmp/dbsnap-hostile-pg-pwned
', NULL, '
\! touch /tmp/dbsnap-hostile-pg-pwned
z', ROW(6, '
\! touch /tmp/dbsnap-hostile-pg-pwned
'));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (6, '
\! touch /tmp/dbsnap-hostile-pg-pwned
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('
\! touch /tmp/dbsnap-hostile-pg-pwned
');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."t
\! touch /tmp/dbsnap-hostile-pg-pwned
x" (id, "c
\! touch /tmp/dbsnap-hostile-pg-pwned
x", "d[31m	;--*/x", "LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x", r) VALUES (7, '', 'ok
\! touch /tmp/dbsnap-hostile-pg-pwned
x', 'z', ROW(7, ''));
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."u\.
\.
*/ -- ; ' "" ` 
x" VALUES (7, '');
INSERT INTO "s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."LLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-pg-pwned
x" VALUES ('');
SELECT setval('"s
\! touch /tmp/dbsnap-hostile-pg-pwned
x"."q
\! touch /tmp/dbsnap-hostile-pg-pwned
x"', 42);
