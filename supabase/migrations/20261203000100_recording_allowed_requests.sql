-- A caller who put their number on the do-not-record list on /forget-me can
-- take the objection back there too ("allow recording again"): a privacy
-- request of type recording_allowed, by phone number only and verified by an
-- SMS code like the others. Confirming it deletes the number's row from
-- public.do_not_record_numbers; the next call from it is asked for consent as
-- any other.
alter table public.privacy_requests drop constraint privacy_requests_request_type_check;
alter table public.privacy_requests add constraint privacy_requests_request_type_check
  check (request_type in ('access', 'do_not_record', 'recording_allowed'));

-- Withdrawing an objection to recording is about calls too: a phone number only.
alter table public.privacy_requests add constraint privacy_requests_recording_allowed_by_phone
  check (request_type <> 'recording_allowed' or subject_type = 'phone');
