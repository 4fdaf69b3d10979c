-- Whom the keypad consent prompt asks, and the proof of what a caller heard.
--
-- consent_scope (privacy preferences, set by owners and admins): with
-- dtmf_consent on, 'listed_countries' (the default, the behaviour so far)
-- asks callers from DE, AT, CH and PL; 'all_callers' asks everyone, whatever
-- their country, for organisations that want one rule for every caller.
--
-- On each call:
--  - consent_language: the catalogue language the consent prompt is spoken in,
--    fixed when the call comes in (from the caller's country, else the agent's
--    language), so Twilio's retries and the consent answer use the same words;
--    null when no prompt applies;
--  - greeting_sha256: SHA-256 (hex) of the exact first message the caller was
--    connected with, and disclosure_version: the catalogue version of the AI
--    disclosure sentence in it (AI Act Art. 50(1): proof the caller was told).

alter table public.privacy_preferences
  add column if not exists consent_scope text not null default 'listed_countries';
alter table public.privacy_preferences drop constraint if exists privacy_preferences_consent_scope_check;
alter table public.privacy_preferences add constraint privacy_preferences_consent_scope_check
  check (consent_scope in ('listed_countries', 'all_callers'));

-- Owners and admins change it as they change the other switches (the update
-- policy limits who; 20261130000200 granted the other columns one by one).
grant update (consent_scope) on public.privacy_preferences to authenticated;

alter table public.calls
  add column if not exists consent_language text,
  add column if not exists greeting_sha256 text,
  add column if not exists disclosure_version text;
alter table public.calls drop constraint if exists calls_consent_language_check;
alter table public.calls add constraint calls_consent_language_check
  check (consent_language ~ '^[a-z]{2}(-[a-z]{2})?$');
alter table public.calls drop constraint if exists calls_greeting_sha256_check;
alter table public.calls add constraint calls_greeting_sha256_check
  check (greeting_sha256 ~ '^[0-9a-f]{64}$');
