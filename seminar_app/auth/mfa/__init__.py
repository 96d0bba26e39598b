"""Second factors for staff: TOTP with recovery codes, and WebAuthn passkeys."""
