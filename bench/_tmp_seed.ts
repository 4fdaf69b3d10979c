import postgres from 'postgres';
import { benchDatabase } from './harness.js';
const database = await benchDatabase();
const sql = postgres(database.url, { max: 2, onnotice: () => {} });
const org = '11111111-1111-1111-1111-111111111111';
await sql`insert into public.audit_logs (org_id, actor_type, action, metadata) select ${org}, 'system', 'bench.noise', jsonb_build_object('i', i) from generate_series(1, 100000) i`;
const q = (n: number) => sql`
  with batch as (
    select a.id, a.chain_index, a.prev_hash, a.row_hash, app.audit_row_hash(a) as computed
    from public.audit_logs a where a.chain_key = ${org} and a.chain_index > 50000
    order by a.chain_index limit ${n}
  ), linked as (
    select b.*, lag(b.chain_index) over w as before_index, lag(b.row_hash) over w as before_hash, row_number() over w as n
    from batch b window w as (order by b.chain_index)
  )
  select count(*)::int as checked, max(chain_index)::text as last_index,
    (select l.chain_index::text from linked l where l.computed <> l.row_hash order by l.chain_index limit 1) as broken
  from linked`;
let t = Date.now();
console.log(await q(1000), Date.now() - t);
t = Date.now();
for (let i=0;i<20;i++) await q(1000);
console.log('20x 1000 rows', Date.now() - t);
console.log(await sql`explain analyze select a.id, a.chain_index, a.prev_hash, a.row_hash, app.audit_row_hash(a) as computed from public.audit_logs a where chain_key = ${org} and chain_index > 50000 order by chain_index limit 1000`);
await sql`analyze public.audit_logs`;
t = Date.now();
for (let i=0;i<20;i++) await q(1000);
console.log('20x 1000 rows after analyze', Date.now() - t);
await sql.end();
await database.drop();
