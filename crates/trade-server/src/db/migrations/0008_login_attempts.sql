-- Login attempts in the sliding windows of the login limits, when they are shared by
-- every instance (PostgreSQL; on SQLite one instance keeps them in memory). `key` is the
-- SHA-256 of what is limited (an IP, an account with an IP); `at` in Unix milliseconds.
CREATE TABLE login_attempts (
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_key ON login_attempts(key, at);
CREATE INDEX login_attempts_at ON login_attempts(at);
