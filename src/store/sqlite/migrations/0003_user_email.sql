-- 0003_user_email.sql - imports find users by email (case-insensitive) when a
-- row has no username. Not unique: existing users may share an email.

CREATE INDEX users_email ON users(realm_id, email COLLATE NOCASE);
