-- A key may be a Voximplant service account: the store keeps the PEM of its RSA public key,
-- which checks the signatures of the JWTs the account's clients send. The private key is
-- shown once, in the credentials file `keys.create` answers, and never stored.
ALTER TABLE api_keys ADD COLUMN public_key TEXT
;
