-- The organisation's country: an optional ISO 3166-1 alpha-2 code, set by owners
-- and admins (POST and PATCH /api/orgs). Phone numbers an organisation's people
-- write in national format (e.g. 0151 23456789) are read in this country, or,
-- while it is unset, in the country of the organisation's first phone number.

-- The 249 officially assigned codes; src/lib/countries.ts holds the same list
-- (a test checks that the two agree).
create or replace function app.is_iso_country(p_code text)
returns boolean
language sql immutable strict parallel safe
set search_path = ''
as $$
  select p_code = any ('{
    AD,AE,AF,AG,AI,AL,AM,AO,AQ,AR,AS,AT,AU,AW,AX,AZ,BA,BB,BD,BE,
    BF,BG,BH,BI,BJ,BL,BM,BN,BO,BQ,BR,BS,BT,BV,BW,BY,BZ,CA,CC,CD,
    CF,CG,CH,CI,CK,CL,CM,CN,CO,CR,CU,CV,CW,CX,CY,CZ,DE,DJ,DK,DM,
    DO,DZ,EC,EE,EG,EH,ER,ES,ET,FI,FJ,FK,FM,FO,FR,GA,GB,GD,GE,GF,
    GG,GH,GI,GL,GM,GN,GP,GQ,GR,GS,GT,GU,GW,GY,HK,HM,HN,HR,HT,HU,
    ID,IE,IL,IM,IN,IO,IQ,IR,IS,IT,JE,JM,JO,JP,KE,KG,KH,KI,KM,KN,
    KP,KR,KW,KY,KZ,LA,LB,LC,LI,LK,LR,LS,LT,LU,LV,LY,MA,MC,MD,ME,
    MF,MG,MH,MK,ML,MM,MN,MO,MP,MQ,MR,MS,MT,MU,MV,MW,MX,MY,MZ,NA,
    NC,NE,NF,NG,NI,NL,NO,NP,NR,NU,NZ,OM,PA,PE,PF,PG,PH,PK,PL,PM,
    PN,PR,PS,PT,PW,PY,QA,RE,RO,RS,RU,RW,SA,SB,SC,SD,SE,SG,SH,SI,
    SJ,SK,SL,SM,SN,SO,SR,SS,ST,SV,SX,SY,SZ,TC,TD,TF,TG,TH,TJ,TK,
    TL,TM,TN,TO,TR,TT,TV,TW,TZ,UA,UG,UM,US,UY,UZ,VA,VC,VE,VG,VI,
    VN,VU,WF,WS,YE,YT,ZA,ZM,ZW
  }'::text[])
$$;

revoke all on function app.is_iso_country(text) from public;
grant execute on function app.is_iso_country(text) to authenticated, service_role;

alter table public.organizations add column if not exists country text;

alter table public.organizations drop constraint if exists organizations_country_check;
alter table public.organizations add constraint organizations_country_check
  check (country ~ '^[A-Z]{2}$' and app.is_iso_country(country));

-- Owners and admins set it through the API (the update policy limits who).
grant update (country) on public.organizations to authenticated;
