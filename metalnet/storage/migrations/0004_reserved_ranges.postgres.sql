-- Reserved address ranges of IPAM prefixes: PrefixRow gains reservations and reserved_free (both 0 for every
-- existing prefix, their default when a stored row lacks them) and the key layout gains the "V" (reserved
-- ranges) and "H" (their addresses not acquired) buckets, empty for every existing prefix. The stored rows
-- are read as they are: this step changes nothing and records the layout's new version.
SELECT 1;
