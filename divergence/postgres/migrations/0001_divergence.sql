-- Partners' own figures (a 3PL's 846), the latest per SKU and location.
CREATE TABLE divergence_reported (
	partner  text COLLATE "C" NOT NULL,
	sku      text COLLATE "C" NOT NULL,
	location text COLLATE "C" NOT NULL,
	quantity bigint NOT NULL,
	at       timestamptz NOT NULL,
	PRIMARY KEY (partner, sku, location)
);
-- When each divergence still seen was first seen, by divergence.Row.Key.
CREATE TABLE divergence_since (
	key   bytea PRIMARY KEY, -- the key holds zero bytes
	since timestamptz NOT NULL
);
