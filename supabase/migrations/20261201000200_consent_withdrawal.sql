-- A caller may withdraw consent to recording mid-call (GDPR Art. 7(3)): the agent
-- calls our stop_recording webhook tool, the recording stops and is deleted.
--   calls.consent_state 'withdrawn': consent was given (or not required) and then withdrawn;
--   call_consents.outcome 'withdrawn': the append-only proof of the withdrawal, with its time;
--   provider_deletions.reason 'consent_withdrawn': the deletions the withdrawal owes Twilio
--   (the recording) and ElevenLabs (the conversation, which holds the transcript).
-- The check constraints are the ones the schema created unnamed (PostgreSQL's
-- <table>_<column>_check names); they are dropped and created again with the new value.

alter table public.calls drop constraint calls_consent_state_check;
alter table public.calls add constraint calls_consent_state_check
  check (consent_state in ('not_required', 'pending', 'given', 'refused', 'withdrawn'));

alter table public.call_consents drop constraint call_consents_outcome_check;
alter table public.call_consents add constraint call_consents_outcome_check
  check (outcome in ('given', 'refused', 'no_input', 'invalid', 'withdrawn'));

alter table public.provider_deletions drop constraint provider_deletions_reason_check;
alter table public.provider_deletions add constraint provider_deletions_reason_check
  check (reason in ('no_consent', 'retention', 'erasure', 'call_deleted', 'account_deletion', 'agent_deleted', 'consent_withdrawn'));
