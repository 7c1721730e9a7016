-- 007: no key slot under a PIN. Earlier versions wrapped the data key
-- under each person's PIN at their first sign-in on a device ('user:<id>:
-- <hash>' slots): 4 to 8 digits, every one of them tried offline from a
-- stolen file in under an hour. PINs are now checked only inside the
-- store unlocked with the ward passphrase. The migration runs with
-- secure_delete on and is followed by a VACUUM (migrate.go), so the
-- wrapped keys do not linger in free pages either.
DELETE FROM keyslots WHERE id LIKE 'user:%';
