-- The files partners pick up from out/ over SFTP: one row per partner
-- and name, whichever node sent it. version counts the file's
-- replacements: a reader reads the chunks of the version it opened.
-- chunk is the chunk size the file was written with.
CREATE TABLE sftp_out_files (
	id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	partner  text COLLATE "C" NOT NULL,
	name     text COLLATE "C" NOT NULL,
	version  bigint NOT NULL DEFAULT 1,
	size     bigint NOT NULL,
	chunk    integer NOT NULL,
	sha256   text NOT NULL,
	modified timestamptz NOT NULL,
	UNIQUE (partner, name)
);

-- The bytes of each file's current version, in chunks (n from 0).
CREATE TABLE sftp_out_chunks (
	file    bigint NOT NULL REFERENCES sftp_out_files (id) ON DELETE CASCADE,
	version bigint NOT NULL,
	n       integer NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (file, version, n)
);
