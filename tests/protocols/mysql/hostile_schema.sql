-- Hostile names in every object kind a name can be given to (issue 9).
-- Each name holds a newline followed by a mysql client command; loading
-- this file must not run it (it is inside quotes here), nor may a dump of it.
-- Sentinel: /tmp/dbsnap-hostile-my-pwned (the tests assert it is never created).
CREATE TABLE `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (
  id int NOT NULL,
  `c
\! touch /tmp/dbsnap-hostile-my-pwned
x` varchar(200) DEFAULT 'dflt\n\\! touch /tmp/dbsnap-hostile-my-pwned\nx' COMMENT 'col comment\n\\! touch /tmp/dbsnap-hostile-my-pwned\n*/',
  `d[31m	;--*/x` text,
  `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` int,
  CONSTRAINT `pk
\! touch /tmp/dbsnap-hostile-my-pwned
x` PRIMARY KEY (id),
  UNIQUE KEY `idx
\! touch /tmp/dbsnap-hostile-my-pwned
x` (`c
\! touch /tmp/dbsnap-hostile-my-pwned
x`),
  CONSTRAINT `chk
\! touch /tmp/dbsnap-hostile-my-pwned
x` CHECK (`c
\! touch /tmp/dbsnap-hostile-my-pwned
x` <> '\n\\! touch /tmp/dbsnap-hostile-my-pwned\n*/')
) ENGINE=InnoDB COMMENT='table comment\n\\! touch /tmp/dbsnap-hostile-my-pwned\n*/ -- ;';
CREATE TABLE `u``\.
*/ -- ; ' " 
x` (id int PRIMARY KEY, v text, CONSTRAINT `fk
\! touch /tmp/dbsnap-hostile-my-pwned
x` FOREIGN KEY (id) REFERENCES `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id));
CREATE TABLE `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` (x text);
CREATE SEQUENCE `seq
\! touch /tmp/dbsnap-hostile-my-pwned
x` START WITH 7;
CREATE VIEW `v
\! touch /tmp/dbsnap-hostile-my-pwned
x` AS SELECT `c
\! touch /tmp/dbsnap-hostile-my-pwned
x` AS `vc
\! touch /tmp/dbsnap-hostile-my-pwned
x`, '\n\\! touch /tmp/dbsnap-hostile-my-pwned\n' AS lit FROM `t
\! touch /tmp/dbsnap-hostile-my-pwned
x`;
DELIMITER ;;
CREATE TRIGGER `tg
\! touch /tmp/dbsnap-hostile-my-pwned
x` BEFORE INSERT ON `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` FOR EACH ROW BEGIN
  SET NEW.`c
\! touch /tmp/dbsnap-hostile-my-pwned
x` = COALESCE(NEW.`c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, '
\! touch /tmp/dbsnap-hostile-my-pwned');
END;;
CREATE FUNCTION `fn
\! touch /tmp/dbsnap-hostile-my-pwned
x`(`a
\! touch /tmp/dbsnap-hostile-my-pwned
x` text) RETURNS text DETERMINISTIC
RETURN CONCAT(`a
\! touch /tmp/dbsnap-hostile-my-pwned
x`, '
\! touch /tmp/dbsnap-hostile-my-pwned */ -- ;');;
CREATE PROCEDURE `pr
\! touch /tmp/dbsnap-hostile-my-pwned
x`() BEGIN
  SELECT '
\! touch /tmp/dbsnap-hostile-my-pwned' AS `x
\! touch /tmp/dbsnap-hostile-my-pwned`;
END;;
CREATE EVENT `ev
\! touch /tmp/dbsnap-hostile-my-pwned
x` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE COMMENT 'event\n\\! touch /tmp/dbsnap-hostile-my-pwned\n' DO SELECT '
\! touch /tmp/dbsnap-hostile-my-pwned';;
DELIMITER ;
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (1, '\n\\! touch /tmp/dbsnap-hostile-my-pwned\n', '\n\\! touch /tmp/dbsnap-hostile-my-pwned\nz', 1);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (1, '\n\\! touch /tmp/dbsnap-hostile-my-pwned\n');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('\n\\! touch /tmp/dbsnap-hostile-my-pwned\n');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (2, '\\.', '\\.z', 2);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (2, '\\.');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('\\.');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (3, '\n\\.\n', '\n\\.\nz', 3);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (3, '\n\\.\n');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('\n\\.\n');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (4, '*/ -- ;', '*/ -- ;z', 4);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (4, '*/ -- ;');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('*/ -- ;');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (5, '\'"`', '\'"`z', 5);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (5, '\'"`');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('\'"`');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (6, '\r\n\\! touch /tmp/dbsnap-hostile-my-pwned\r\n', '\r\n\\! touch /tmp/dbsnap-hostile-my-pwned\r\nz', 6);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (6, '\r\n\\! touch /tmp/dbsnap-hostile-my-pwned\r\n');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('\r\n\\! touch /tmp/dbsnap-hostile-my-pwned\r\n');
INSERT INTO `t
\! touch /tmp/dbsnap-hostile-my-pwned
x` (id, `c
\! touch /tmp/dbsnap-hostile-my-pwned
x`, `d[31m	;--*/x`, `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x`) VALUES (7, '', 'z', 7);
INSERT INTO `u``\.
*/ -- ; ' " 
x` VALUES (7, '');
INSERT INTO `LLLLLLLLLLLLLLLLLLLLLLLL
\! touch /tmp/dbsnap-hostile-my-pwned
x` VALUES ('');
