-- Type and object stress fixture for the MySQL/MariaDB round trip
-- (roundtrip_test.cc). Loaded with the `mariadb` client into an empty
-- database; MariaDB 10.11+ (sequence tables seq_*, system versioning, UUID).
-- Every value here must survive dbsnap backup + `mariadb` restore unchanged.

SET NAMES utf8mb4;
-- Not strict: zero dates, clipped FLOAT extremes and explicit 0 in AUTO_INCREMENT load as given.
SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';

-- Every byte value, alone and all together, in each binary type.
CREATE TABLE bytes (
  id INT PRIMARY KEY,
  b BLOB,
  vb VARBINARY(300),
  bin BINARY(4),
  tb TINYBLOB,
  lb LONGBLOB,
  c CHAR(3) CHARACTER SET binary
);
INSERT INTO bytes (id, b, vb, bin, tb, c)
  SELECT seq, UNHEX(LPAD(HEX(seq), 2, '0')), UNHEX(LPAD(HEX(seq), 2, '0')),
         UNHEX(LPAD(HEX(seq), 2, '0')), UNHEX(LPAD(HEX(seq), 2, '0')), UNHEX(LPAD(HEX(seq), 2, '0'))
  FROM seq_0_to_255;
INSERT INTO bytes (id, b, vb, lb)
  SELECT 1000, x, x, REPEAT(x, 4096) FROM
    (SELECT UNHEX(GROUP_CONCAT(LPAD(HEX(seq), 2, '0') ORDER BY seq SEPARATOR '')) AS x
     FROM seq_0_to_255) AS all_bytes;
INSERT INTO bytes VALUES (1001, '', '', '', '', '', ''), (1002, NULL, NULL, NULL, NULL, NULL, NULL);

-- Text: NULL vs '', escapes, control characters, 4-byte UTF-8, ENUM and SET.
CREATE TABLE texts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  s VARCHAR(200),
  t TEXT,
  c CHAR(10),
  e ENUM('a', 'b', 'it''s', ''),
  st SET('x', 'y', 'z'),
  u UUID,
  ip INET6
) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci COMMENT 'texts: it''s "quoted"';
INSERT INTO texts (s, t, c, e, st, u, ip) VALUES
  ('', '', '', '', '', '00000000-0000-0000-0000-000000000000', '::'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('emoji 😀🎉👍🏽 ñ ß 中文', 'multi\nline\r\ntext\ttab', 'x', 'it''s', 'x,z',
   '123e4567-e89b-12d3-a456-426614174000', '2001:db8::ff00:42:8329'),
  ('quote '' double " back \\ zero \0 ctrlz \Z', 'percent % underscore _ semicolon ;', ' pad',
   'b', 'y', NULL, '192.0.2.1'),
  ('NULL', 'null', 'N', 'a', 'x,y,z', NULL, '::ffff:192.0.2.128');
INSERT INTO texts (s, t)
  SELECT GROUP_CONCAT(CHAR(seq USING utf8mb4) ORDER BY seq SEPARATOR ''), 'ascii 1..127'
  FROM seq_1_to_127;

-- A latin1 table with every latin1 character.
CREATE TABLE latin (id INT PRIMARY KEY, s VARCHAR(300), c CHAR(1)) DEFAULT CHARSET latin1;
INSERT INTO latin (id, s)
  SELECT 1, CONVERT(UNHEX(GROUP_CONCAT(LPAD(HEX(seq), 2, '0') ORDER BY seq SEPARATOR '')) USING latin1)
  FROM seq_1_to_255;
INSERT INTO latin (id, c) SELECT seq, CONVERT(UNHEX(LPAD(HEX(seq), 2, '0')) USING latin1)
  FROM seq_2_to_255;

-- Numbers at their extremes, FLOAT and DOUBLE edge values included.
CREATE TABLE numbers (
  id INT PRIMARY KEY,
  ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT, i INT, iu INT UNSIGNED,
  bi BIGINT, bu BIGINT UNSIGNED,
  d DECIMAL(65, 30), d0 DECIMAL(65, 0), d2 DECIMAL(5, 2) UNSIGNED,
  f FLOAT, fu FLOAT UNSIGNED, fd FLOAT(10, 3), db DOUBLE, dd DOUBLE(12, 4),
  y YEAR, bo BOOLEAN,
  b1 BIT(1), b10 BIT(10), b64 BIT(64)
);
INSERT INTO numbers VALUES
  (1, -128, 255, -32768, -8388608, -2147483648, 4294967295,
   -9223372036854775808, 18446744073709551615,
   99999999999999999999999999999999999.999999999999999999999999999999,
   99999999999999999999999999999999999999999999999999999999999999999, 999.99,
   16777216, 3.4028235e38, 1234567.123, 1.7976931348623157e308, 12345678.1234,
   1901, TRUE, b'1', b'1111111111', b'1111111111111111111111111111111111111111111111111111111111111111'),
  (2, 127, 0, 32767, 8388607, 2147483647, 0, 9223372036854775807, 0,
   -99999999999999999999999999999999999.999999999999999999999999999999,
   -99999999999999999999999999999999999999999999999999999999999999999, 0,
   1.17549435e-38, 1.401298464324817e-45, -999999.999, 4.9e-324, -0.0001,
   2155, FALSE, b'0', b'0000000001', b'0'),
  (3, 0, 1, 0, 0, 0, 1, 0, 1,
   0.000000000000000000000000000001, 0, 0.01,
   -3.4028235e38, 1e-40, 0.001, 2.2250738585072014e-308, 0,
   0, NULL, b'0', b'1010101010', b'1000000000000000000000000000000000000000000000000000000000000000'),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, -1, 2, -1, -1, -1, 2, -1, 2, -0.5, -1, 1.5,
   0.1, 16777217, 0.1, 0.1e0 + 0.2e0, 0.1,
   2024, 2, b'1', b'0', b'10101010'),
  (6, 1, 3, 1, 1, 1, 3, 1, 3, 123.456, 1, 2.5,
   1.0000001, 0.3333333, 1.5, 1e22, 1e7,
   1999, 0, b'0', b'1', b'1');

-- Dates and times: zero dates, zero-in-date, the TIME range, fractional seconds.
CREATE TABLE dates (
  id INT PRIMARY KEY,
  d DATE, dt DATETIME, dt6 DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
  t TIME, t6 TIME(6), y YEAR
);
INSERT INTO dates VALUES
  (1, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00',
   '0000-00-00 00:00:00.000000', '-838:59:59', '-838:59:58.999999', 0),
  (2, '1000-01-01', '1000-01-01 00:00:00', '1000-01-01 00:00:00.000001', '1970-01-01 12:00:01',
   '1970-01-02 00:00:00.000001', '838:59:59', '838:59:58.999999', 1901),
  (3, '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-18 03:14:07',
   '2038-01-18 03:14:07.999999', '00:00:00', '-00:00:00.000001', 2155),
  (4, '2024-02-29', '2024-00-15 10:00:00', '2024-02-00 00:00:00.5', NULL, NULL, '-00:00:01', NULL, NULL),
  (5, NULL, NULL, NULL, '2024-03-31 01:30:00', NULL, NULL, '12:34:56.789', 2000);

-- JSON (a LONGTEXT with a JSON_VALID check in MariaDB).
CREATE TABLE docs (id INT PRIMARY KEY, j JSON);
INSERT INTO docs VALUES
  (1, '{"a": [1, 2.5, "x\\ny", null, true], "emoji": "😀", "q": "it''s \\"quoted\\""}'),
  (2, '[]'), (3, 'null'), (4, NULL), (5, '{"big": 1e400, "n": -0.0, "deep": {"k": {"k": [[]]}}}');

-- Spatial types, with and without SRID.
CREATE TABLE places (
  id INT PRIMARY KEY,
  g GEOMETRY,
  p POINT NOT NULL,
  l LINESTRING,
  pg POLYGON,
  mp MULTIPOINT,
  gc GEOMETRYCOLLECTION,
  SPATIAL INDEX (p)
);
INSERT INTO places VALUES
  (1, ST_GeomFromText('POINT(1 2)'), POINT(3.5, -4.25), ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'),
   ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'),
   ST_GeomFromText('MULTIPOINT(1 1, 2 2)'),
   ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1))')),
  (2, ST_GeomFromText('POINT(-71.06 42.36)', 4326), ST_GeomFromText('POINT(0 0)', 4326),
   NULL, NULL, NULL, NULL);

-- Generated and invisible columns: INSERTs must name the columns.
CREATE TABLE gen (
  id INT PRIMARY KEY,
  a INT,
  b INT AS (a * 2) VIRTUAL,
  c VARCHAR(20) AS (CONCAT('x', a)) STORED,
  h INT INVISIBLE DEFAULT 7,
  KEY (c)
);
INSERT INTO gen (id, a, h) VALUES (1, 1, 1), (2, NULL, 2), (3, 3, NULL);

-- Foreign keys, AUTO_INCREMENT (with an explicit 0), a MyISAM table with keys.
CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(10) UNIQUE);
CREATE TABLE child (
  id INT AUTO_INCREMENT PRIMARY KEY,
  parent_id INT,
  CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) AUTO_INCREMENT = 1000;
INSERT INTO parent VALUES (1, 'one'), (2, 'two');
INSERT INTO child (parent_id) VALUES (1), (2), (NULL);
INSERT INTO child (id, parent_id) VALUES (0, 1);
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(200), KEY (msg)) ENGINE = MyISAM;

-- No primary key (with duplicate rows), an empty table, a partitioned table.
CREATE TABLE nokey (a INT, b VARCHAR(10));
INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (NULL, NULL), (2, '');
CREATE TABLE empty_one (id INT PRIMARY KEY, v TEXT);
CREATE TABLE parted (id INT PRIMARY KEY, v INT) PARTITION BY HASH (id) PARTITIONS 3;
INSERT INTO parted SELECT seq, seq * 10 FROM seq_1_to_50;

-- Reserved words and quoting in names.
CREATE TABLE `order` (
  `select` INT PRIMARY KEY,
  `from` VARCHAR(10),
  `back``tick` INT,
  `with space` INT,
  `ünï` VARCHAR(5)
);
INSERT INTO `order` VALUES (1, 'where', 2, 3, 'äöü'), (2, NULL, NULL, NULL, NULL);
CREATE TABLE `weird ``name`` ä` (id INT PRIMARY KEY, `group` INT);
INSERT INTO `weird ``name`` ä` VALUES (1, 1);

-- System-versioned tables, implicit and explicit periods, with history.
CREATE TABLE history (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING;
INSERT INTO history VALUES (1, 'a'), (2, 'b'), (3, 'c');
UPDATE history SET v = 'a2' WHERE id = 1;
DELETE FROM history WHERE id = 2;
CREATE TABLE history_explicit (
  id INT,
  v INT,
  rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE,
  re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE,
  PERIOD FOR SYSTEM_TIME (rs, re)
) WITH SYSTEM VERSIONING;
INSERT INTO history_explicit (id, v) VALUES (1, 10), (2, 20);
UPDATE history_explicit SET v = 11 WHERE id = 1;

-- A sequence and a table drawing from it.
CREATE SEQUENCE seq_ids START WITH 100 INCREMENT BY 5;
CREATE TABLE numbered (id INT PRIMARY KEY DEFAULT NEXTVAL(seq_ids), v INT);
INSERT INTO numbered (v) VALUES (1), (2);

-- A big table: several chunks, statements and slices.
CREATE TABLE big (id BIGINT UNSIGNED PRIMARY KEY, payload VARCHAR(200), n DOUBLE);
INSERT INTO big SELECT seq, REPEAT(CHAR(65 + seq % 26), seq % 200), seq / 7 FROM seq_1_to_30000;

-- Stored code; bodies contain ';' and quotes.
DELIMITER ;;
CREATE FUNCTION f_double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;;
CREATE FUNCTION `f_text`(s VARCHAR(20) CHARSET utf8mb4) RETURNS VARCHAR(40) CHARSET utf8mb4
  NO SQL COMMENT 'it''s a function'
BEGIN
  DECLARE r VARCHAR(40) DEFAULT '';
  SET r = CONCAT(s, '; ', s, ' "😀"');
  RETURN r;
END;;
CREATE PROCEDURE p_count(OUT n INT) READS SQL DATA
BEGIN
  SELECT COUNT(*) INTO n FROM texts; -- a comment; with a semicolon
END;;
CREATE DEFINER = CURRENT_USER PROCEDURE `odd ``name```(IN s VARCHAR(10)) SQL SECURITY INVOKER
BEGIN
  DECLARE x INT DEFAULT 0;
  SET x = 1;
  SELECT s, x, 'semi; colon', "dq";
END;;
CREATE TRIGGER texts_bi BEFORE INSERT ON texts FOR EACH ROW SET NEW.c = IFNULL(NEW.c, 'd');;
CREATE TRIGGER texts_ai AFTER INSERT ON texts FOR EACH ROW
BEGIN
  INSERT INTO audit (msg) VALUES (CONCAT('insert ', NEW.id, '; done'));
END;;
CREATE TRIGGER texts_ai2 AFTER INSERT ON texts FOR EACH ROW FOLLOWS texts_ai
  INSERT INTO audit (msg) VALUES ('second trigger');;
CREATE TRIGGER `order_bu` BEFORE UPDATE ON `order` FOR EACH ROW SET NEW.`from` = UPPER(NEW.`from`);;
DELIMITER ;
INSERT INTO texts (s) VALUES ('fired the triggers');

SET SESSION sql_mode = 'STRICT_ALL_TABLES,ANSI_QUOTES';
CREATE TRIGGER "parent_ai" AFTER INSERT ON parent FOR EACH ROW INSERT INTO audit (msg) VALUES ('parent');
SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';

-- Views: on views, on a function, reserved names, options; created after
-- their dependencies here, restored through placeholders.
CREATE VIEW v_texts AS SELECT id, s FROM texts WHERE s <> '';
CREATE VIEW v_nested AS SELECT v.id, f_double(v.id) AS d FROM v_texts v;
CREATE ALGORITHM = MERGE SQL SECURITY INVOKER VIEW `select` AS SELECT 1 AS `from`, 'a;b' AS `x``y`;
CREATE VIEW v_checked AS SELECT id, a FROM gen WHERE a > 0 WITH CASCADED CHECK OPTION;

-- Events (the scheduler is off in tests: they never run).
CREATE EVENT ev_purge ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00'
  ON COMPLETION PRESERVE DISABLE COMMENT 'nightly; purge'
  DO DELETE FROM audit WHERE id < 0;
DELIMITER ;;
CREATE EVENT ev_once ON SCHEDULE AT '2035-01-01 00:00:00' ON COMPLETION PRESERVE
DO BEGIN
  INSERT INTO audit (msg) VALUES ('once');
  INSERT INTO audit (msg) VALUES ('twice');
END;;
DELIMITER ;
